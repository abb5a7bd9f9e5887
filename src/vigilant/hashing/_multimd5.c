/*
 * MD5 of several independent messages at once, one message per SIMD lane (AVX2 or AVX-512VL: 8 lanes).
 *
 * Why this exists: triage computes MD5, SHA-1 and SHA-256 of every file. With SHA-NI, SHA-1 and SHA-256 run
 * at ~1.7 GB/s a core, while MD5 (OpenSSL's, the fastest single-stream code there is) runs at ~0.7 GB/s and
 * takes more than half of the hashing time. MD5 cannot be split within one message (each block needs the
 * previous block's result), but the files of a folder are independent messages: eight of them fit in the
 * eight 32-bit lanes of an AVX2 register. No maintained library packaged for Debian or PyPI offers this
 * (Intel's isa-l_crypto md5_mb does, but is not packaged), hence this small module.
 *
 * Correctness: RFC 1321's algorithm, unchanged; the Python side checks RFC 1321's test vectors and hashlib's
 * results on every import before using it, and the tests compare it with hashlib on all lengths across the
 * block boundaries and on random messages in random chunks. Machines without AVX2 use the scalar code here.
 *
 * API (GIL released while hashing):
 *   Md5()                      a streaming MD5 state
 *   Md5.update(buffer)         scalar update of one state
 *   Md5.digest() -> bytes      the 16-byte digest (the state itself is unchanged: digest on a copy)
 *   update_many(pairs, kernel=None)
 *                              pairs: a sequence of (Md5, buffer) with each Md5 at most once; every
 *                              state is updated with its buffer, several states at a time, by the named
 *                              kernel (None: the fastest this CPU has)
 *   KERNELS                    the kernels this CPU runs, slowest first: "scalar", then "avx2", then
 *                              "avx512vl" (the same 8 lanes, AVX-512VL's ternary logic and rotate)
 *   LANES                      8 where this CPU has AVX2, else 1
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#define LANES 8

/* ---------------------------------------------------------------- the algorithm, one message at a time */

static const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
/* Rotation per step, and which message word each step reads. */
static const int S[64] = {
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
    5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
    4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
    6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
};
static const int G[64] = {
    0, 1, 2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15,
    1, 6, 11, 0,  5,  10, 15, 4,  9,  14, 3,  8,  13, 2,  7,  12,
    5, 8, 11, 14, 1,  4,  7,  10, 13, 0,  3,  6,  9,  12, 15, 2,
    0, 7, 14, 5,  12, 3,  10, 1,  8,  15, 6,  13, 4,  11, 2,  9,
};

static inline uint32_t rotl32(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Compress `blocks` 64-byte blocks into h. */
static void md5_blocks(uint32_t h[4], const uint8_t *p, size_t blocks)
{
    for (; blocks; blocks--, p += 64) {
        uint32_t m[16];
        for (int i = 0; i < 16; i++)
            m[i] = load_le32(p + 4 * i);
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
        for (int i = 0; i < 64; i++) {
            uint32_t f;
            if (i < 16)
                f = d ^ (b & (c ^ d));
            else if (i < 32)
                f = c ^ (d & (b ^ c));
            else if (i < 48)
                f = b ^ c ^ d;
            else
                f = c ^ (b | ~d);
            uint32_t t = d;
            d = c;
            c = b;
            b = b + rotl32(a + f + K[i] + m[G[i]], S[i]);
            a = t;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
    }
}

/* ---------------------------------------------------------------- eight messages at a time (AVX2) */

#define V __m256i
#define ADD(x, y) _mm256_add_epi32((x), (y))
#define XOR(x, y) _mm256_xor_si256((x), (y))
#define AND(x, y) _mm256_and_si256((x), (y))
#define OR(x, y) _mm256_or_si256((x), (y))
#define ROTL(x, s) OR(_mm256_slli_epi32((x), (s)), _mm256_srli_epi32((x), 32 - (s)))

/* One step: a = b + rotl(a + f + K[i] + m[g], s), with f computed by the caller's expression. */
#define STEP(f, a, b, c, d, i)                                                                             \
    do {                                                                                                   \
        a = ADD(b, ROTL(ADD(ADD(a, f), ADD(_mm256_set1_epi32((int)K[i]), m[G[i]])), S[i]));                 \
    } while (0)
/* Four steps: the registers rotate roles (a, b, c, d), (d, a, b, c), (c, d, a, b), (b, c, d, a). */
#define STEP4(fn, i)                                                                                       \
    do {                                                                                                   \
        STEP(fn(b, c, d), a, b, c, d, i);                                                                  \
        STEP(fn(a, b, c), d, a, b, c, (i) + 1);                                                            \
        STEP(fn(d, a, b), c, d, a, b, (i) + 2);                                                            \
        STEP(fn(c, d, a), b, c, d, a, (i) + 3);                                                            \
    } while (0)
#define F1(b, c, d) XOR(d, AND(b, XOR(c, d)))
#define F2(b, c, d) XOR(c, AND(d, XOR(b, c)))
#define F3(b, c, d) XOR(XOR(b, c), d)
#define F4(b, c, d) XOR(c, OR(b, XOR(d, ones)))

/* Words 0..7 of lane k's block (rows) turned into word w of every lane (columns). */
__attribute__((target("avx2"))) static inline void transpose8(V r[8])
{
    V t0 = _mm256_unpacklo_epi32(r[0], r[1]), t1 = _mm256_unpackhi_epi32(r[0], r[1]);
    V t2 = _mm256_unpacklo_epi32(r[2], r[3]), t3 = _mm256_unpackhi_epi32(r[2], r[3]);
    V t4 = _mm256_unpacklo_epi32(r[4], r[5]), t5 = _mm256_unpackhi_epi32(r[4], r[5]);
    V t6 = _mm256_unpacklo_epi32(r[6], r[7]), t7 = _mm256_unpackhi_epi32(r[6], r[7]);
    V u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    V u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    V u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    V u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

/* The next block of every lane as 16 vectors, vector w holding word w of each lane; lanes move on by step. */
__attribute__((target("avx2"))) static inline void next_block(V m[16], const uint8_t *p[LANES],
                                                               const size_t step[LANES])
{
    for (int k = 0; k < LANES; k++) {
        m[k] = _mm256_loadu_si256((const V *)p[k]);
        m[8 + k] = _mm256_loadu_si256((const V *)(p[k] + 32));
        p[k] += step[k];
    }
    transpose8(m);
    transpose8(m + 8);
}

/* Compress `blocks` blocks of each lane: lane k reads ptr[k], advancing by step[k] (64, or 0 for an idle lane
 * that reads the same harmless block and whose state is thrown away). st[j][k] is word j of lane k's state. */
__attribute__((target("avx2"))) static void
md5_x8(uint32_t st[4][LANES], const uint8_t *ptr[LANES], const size_t step[LANES], size_t blocks)
{
    const V ones = _mm256_set1_epi32(-1);
    V a = _mm256_loadu_si256((const V *)st[0]), b = _mm256_loadu_si256((const V *)st[1]);
    V c = _mm256_loadu_si256((const V *)st[2]), d = _mm256_loadu_si256((const V *)st[3]);
    const uint8_t *p[LANES];
    for (int k = 0; k < LANES; k++)
        p[k] = ptr[k];
    for (; blocks; blocks--) {
        V m[16];
        next_block(m, p, step);
        V aa = a, bb = b, cc = c, dd = d;
        for (int i = 0; i < 16; i += 4)
            STEP4(F1, i);
        for (int i = 16; i < 32; i += 4)
            STEP4(F2, i);
        for (int i = 32; i < 48; i += 4)
            STEP4(F3, i);
        for (int i = 48; i < 64; i += 4)
            STEP4(F4, i);
        a = ADD(a, aa);
        b = ADD(b, bb);
        c = ADD(c, cc);
        d = ADD(d, dd);
    }
    _mm256_storeu_si256((V *)st[0], a);
    _mm256_storeu_si256((V *)st[1], b);
    _mm256_storeu_si256((V *)st[2], c);
    _mm256_storeu_si256((V *)st[3], d);
}


/* The same eight lanes with AVX-512VL's instructions on the same 256-bit registers: one ternary-logic
 * instruction per round function (F, G, H, I as truth tables) and a true rotate, 6 operations a step
 * instead of 10. Rotations need immediates, hence the steps written out. */
#define TL(b, c, d, table) _mm256_ternarylogic_epi32((b), (c), (d), (table))
#define VSTEP(table, a, b, c, d, i, s)                                                                    \
    a = ADD(b, _mm256_rol_epi32(ADD(ADD(a, TL(b, c, d, table)), ADD(_mm256_set1_epi32((int)K[i]), m[G[i]])), \
                                s))
#define VSTEP4(table, i, s0, s1, s2, s3)                                                                  \
    VSTEP(table, a, b, c, d, i, s0);                                                                      \
    VSTEP(table, d, a, b, c, i + 1, s1);                                                                  \
    VSTEP(table, c, d, a, b, i + 2, s2);                                                                  \
    VSTEP(table, b, c, d, a, i + 3, s3)
#define F_TABLE 0xCA /* b ? c : d */
#define G_TABLE 0xE4 /* d ? b : c */
#define H_TABLE 0x96 /* b ^ c ^ d */
#define I_TABLE 0x39 /* c ^ (b | ~d) */

__attribute__((target("avx2,avx512f,avx512vl"))) static void
md5_x8_vl(uint32_t st[4][LANES], const uint8_t *ptr[LANES], const size_t step[LANES], size_t blocks)
{
    V a = _mm256_loadu_si256((const V *)st[0]), b = _mm256_loadu_si256((const V *)st[1]);
    V c = _mm256_loadu_si256((const V *)st[2]), d = _mm256_loadu_si256((const V *)st[3]);
    const uint8_t *p[LANES];
    for (int k = 0; k < LANES; k++)
        p[k] = ptr[k];
    for (; blocks; blocks--) {
        V m[16];
        next_block(m, p, step);
        V aa = a, bb = b, cc = c, dd = d;
        VSTEP4(F_TABLE, 0, 7, 12, 17, 22);
        VSTEP4(F_TABLE, 4, 7, 12, 17, 22);
        VSTEP4(F_TABLE, 8, 7, 12, 17, 22);
        VSTEP4(F_TABLE, 12, 7, 12, 17, 22);
        VSTEP4(G_TABLE, 16, 5, 9, 14, 20);
        VSTEP4(G_TABLE, 20, 5, 9, 14, 20);
        VSTEP4(G_TABLE, 24, 5, 9, 14, 20);
        VSTEP4(G_TABLE, 28, 5, 9, 14, 20);
        VSTEP4(H_TABLE, 32, 4, 11, 16, 23);
        VSTEP4(H_TABLE, 36, 4, 11, 16, 23);
        VSTEP4(H_TABLE, 40, 4, 11, 16, 23);
        VSTEP4(H_TABLE, 44, 4, 11, 16, 23);
        VSTEP4(I_TABLE, 48, 6, 10, 15, 21);
        VSTEP4(I_TABLE, 52, 6, 10, 15, 21);
        VSTEP4(I_TABLE, 56, 6, 10, 15, 21);
        VSTEP4(I_TABLE, 60, 6, 10, 15, 21);
        a = ADD(a, aa);
        b = ADD(b, bb);
        c = ADD(c, cc);
        d = ADD(d, dd);
    }
    _mm256_storeu_si256((V *)st[0], a);
    _mm256_storeu_si256((V *)st[1], b);
    _mm256_storeu_si256((V *)st[2], c);
    _mm256_storeu_si256((V *)st[3], d);
}

typedef void (*LaneKernel)(uint32_t st[4][LANES], const uint8_t *ptr[LANES], const size_t step[LANES],
                           size_t blocks);

/* The kernels this CPU can run, slowest first; update_many uses the last unless told otherwise. */
static struct {
    const char *name;
    LaneKernel run; /* NULL: one message at a time */
} kernels[3];
static int kernel_count;

static void find_kernels(void)
{
    __builtin_cpu_init();
    kernels[kernel_count].name = "scalar";
    kernels[kernel_count++].run = NULL;
    if (__builtin_cpu_supports("avx2")) {
        kernels[kernel_count].name = "avx2";
        kernels[kernel_count++].run = md5_x8;
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) {
            kernels[kernel_count].name = "avx512vl";
            kernels[kernel_count++].run = md5_x8_vl;
        }
    }
}

/* ---------------------------------------------------------------- the streaming state */

typedef struct {
    PyObject_HEAD
    uint32_t h[4];
    uint64_t length;  /* bytes given so far */
    uint8_t tail[64]; /* bytes given that do not fill a block yet */
    uint32_t tail_len;
    int busy; /* inside update_many with the GIL released: refuse other use */
} Md5Object;

static PyTypeObject Md5Type;

static void md5_reset(Md5Object *m)
{
    m->h[0] = 0x67452301;
    m->h[1] = 0xefcdab89;
    m->h[2] = 0x98badcfe;
    m->h[3] = 0x10325476;
    m->length = 0;
    m->tail_len = 0;
    m->busy = 0;
}

static PyObject *Md5_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, ":Md5", kwlist))
        return NULL;
    Md5Object *m = (Md5Object *)type->tp_alloc(type, 0);
    if (m)
        md5_reset(m);
    return (PyObject *)m;
}

/* The part of an update that cannot go through lanes: top up the tail first. Returns the first byte of
 * whole blocks left in data and sets *blocks; the bytes after them go to the tail. */
static const uint8_t *md5_prepare(Md5Object *m, const uint8_t *data, size_t len, size_t *blocks)
{
    m->length += len;
    if (m->tail_len) {
        size_t take = 64 - m->tail_len;
        if (take > len)
            take = len;
        memcpy(m->tail + m->tail_len, data, take);
        m->tail_len += (uint32_t)take;
        data += take;
        len -= take;
        if (m->tail_len < 64) {
            *blocks = 0;
            return data;
        }
        md5_blocks(m->h, m->tail, 1);
        m->tail_len = 0;
    }
    *blocks = len / 64;
    size_t rest = len % 64;
    memcpy(m->tail, data + *blocks * 64, rest);
    m->tail_len = (uint32_t)rest;
    return data;
}

static int md5_claim(Md5Object *m)
{
    if (m->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this MD5 state is being updated by another thread");
        return -1;
    }
    m->busy = 1;
    return 0;
}

static PyObject *Md5_update(Md5Object *self, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0)
        return NULL;
    if (md5_claim(self) < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    size_t blocks;
    Py_BEGIN_ALLOW_THREADS
    const uint8_t *data = md5_prepare(self, view.buf, (size_t)view.len, &blocks);
    md5_blocks(self->h, data, blocks);
    Py_END_ALLOW_THREADS
    self->busy = 0;
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

static PyObject *Md5_digest(Md5Object *self, PyObject *Py_UNUSED(ignored))
{
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "this MD5 state is being updated by another thread");
        return NULL;
    }
    uint32_t h[4];
    uint8_t last[128];
    memcpy(h, self->h, sizeof h);
    size_t n = self->tail_len;
    memcpy(last, self->tail, n);
    last[n++] = 0x80;
    size_t end = n <= 56 ? 64 : 128;
    memset(last + n, 0, end - n);
    uint64_t bits = self->length * 8;
    for (int i = 0; i < 8; i++)
        last[end - 8 + i] = (uint8_t)(bits >> (8 * i));
    md5_blocks(h, last, end / 64);
    uint8_t out[16];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            out[4 * i + j] = (uint8_t)(h[i] >> (8 * j));
    return PyBytes_FromStringAndSize((const char *)out, 16);
}

static PyMethodDef Md5_methods[] = {
    {"update", (PyCFunction)Md5_update, METH_O, "Add bytes to the message."},
    {"digest", (PyCFunction)Md5_digest, METH_NOARGS, "The digest of the bytes given so far."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Md5Type = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "vigilant.hashing._multimd5.Md5",
    .tp_basicsize = sizeof(Md5Object),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A streaming MD5 state that update_many can advance together with others.",
    .tp_new = Md5_new,
    .tp_methods = Md5_methods,
};

/* ---------------------------------------------------------------- many states at once */

typedef struct {
    Md5Object *state;
    const uint8_t *data; /* whole blocks left for the lanes */
    size_t blocks;
} Job;

static int by_blocks_descending(const void *x, const void *y)
{
    size_t a = ((const Job *)x)->blocks, b = ((const Job *)y)->blocks;
    return (a < b) - (a > b);
}

static const uint8_t idle_block[64];

/* Longest jobs first, each free lane taking the next job: lanes stay busy until the last few jobs. */
static void run_lanes(LaneKernel kernel, Job *jobs, size_t count)
{
    uint32_t st[4][LANES];
    const uint8_t *ptr[LANES];
    size_t step[LANES], left[LANES];
    Job *in_lane[LANES];
    size_t next = 0;
    for (int k = 0; k < LANES; k++) {
        in_lane[k] = NULL;
        ptr[k] = idle_block;
        step[k] = 0;
        left[k] = 0;
        for (int j = 0; j < 4; j++)
            st[j][k] = 0;
    }
    for (;;) {
        int active = 0;
        for (int k = 0; k < LANES; k++) {
            if (!in_lane[k] && next < count && jobs[next].blocks) {
                Job *job = &jobs[next++];
                in_lane[k] = job;
                ptr[k] = job->data;
                step[k] = 64;
                left[k] = job->blocks;
                for (int j = 0; j < 4; j++)
                    st[j][k] = job->state->h[j];
            }
            active += in_lane[k] != NULL;
        }
        if (!active)
            return;
        if (active == 1 && (next >= count || !jobs[next].blocks)) {
            /* One message left: a lane alone is slower than the scalar code. */
            for (int k = 0; k < LANES; k++)
                if (in_lane[k]) {
                    for (int j = 0; j < 4; j++)
                        in_lane[k]->state->h[j] = st[j][k];
                    md5_blocks(in_lane[k]->state->h, ptr[k], left[k]);
                }
            return;
        }
        size_t run = SIZE_MAX;
        for (int k = 0; k < LANES; k++)
            if (in_lane[k] && left[k] < run)
                run = left[k];
        kernel(st, ptr, step, run);
        for (int k = 0; k < LANES; k++) {
            if (!in_lane[k])
                continue;
            ptr[k] += step[k] * run;
            left[k] -= run;
            if (!left[k]) {
                for (int j = 0; j < 4; j++)
                    in_lane[k]->state->h[j] = st[j][k];
                in_lane[k] = NULL;
                ptr[k] = idle_block;
                step[k] = 0;
            }
        }
    }
}

static PyObject *update_many(PyObject *module, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"pairs", "kernel", NULL};
    PyObject *pairs;
    const char *name = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|z:update_many", kwlist, &pairs, &name))
        return NULL;
    LaneKernel kernel = kernels[kernel_count - 1].run;
    if (name) {
        int k = 0;
        while (k < kernel_count && strcmp(kernels[k].name, name))
            k++;
        if (k == kernel_count) {
            PyErr_Format(PyExc_ValueError, "update_many(): no kernel %s on this CPU", name);
            return NULL;
        }
        kernel = kernels[k].run;
    }
    PyObject *seq = PySequence_Fast(pairs, "update_many() takes a sequence of (Md5, buffer) pairs");
    if (!seq)
        return NULL;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    Job *jobs = PyMem_Calloc((size_t)n + 1, sizeof(Job));
    Py_buffer *views = PyMem_Calloc((size_t)n + 1, sizeof(Py_buffer));
    /* Our own references: another thread may change the caller's list while the GIL is released. */
    Md5Object **states = PyMem_Calloc((size_t)n + 1, sizeof(Md5Object *));
    Py_ssize_t claimed = 0;
    PyObject *result = NULL;
    if (!jobs || !views || !states) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *pair = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2 ||
            !PyObject_TypeCheck(PyTuple_GET_ITEM(pair, 0), &Md5Type)) {
            PyErr_Format(PyExc_TypeError, "update_many(): item %zd is not an (Md5, buffer) pair", i);
            goto done;
        }
        Md5Object *state = (Md5Object *)PyTuple_GET_ITEM(pair, 0);
        if (state->busy) {
            PyErr_Format(PyExc_ValueError,
                         "update_many(): item %zd's MD5 state is given twice or is in use elsewhere", i);
            goto done;
        }
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(pair, 1), &views[i], PyBUF_SIMPLE) < 0)
            goto done;
        state->busy = 1;
        Py_INCREF(state);
        states[i] = jobs[i].state = state;
        claimed = i + 1;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++)
        jobs[i].data = md5_prepare(jobs[i].state, views[i].buf, (size_t)views[i].len, &jobs[i].blocks);
    if (kernel && n > 1) {
        qsort(jobs, (size_t)n, sizeof(Job), by_blocks_descending);
        run_lanes(kernel, jobs, (size_t)n);
    } else {
        for (Py_ssize_t i = 0; i < n; i++)
            md5_blocks(jobs[i].state->h, jobs[i].data, jobs[i].blocks);
    }
    Py_END_ALLOW_THREADS
    result = Py_None;
    Py_INCREF(result);
done:
    for (Py_ssize_t i = 0; i < claimed; i++) {
        states[i]->busy = 0;
        Py_DECREF(states[i]);
        PyBuffer_Release(&views[i]);
    }
    PyMem_Free(states);
    PyMem_Free(jobs);
    PyMem_Free(views);
    Py_DECREF(seq);
    return result;
}

static PyMethodDef module_methods[] = {
    {"update_many", (PyCFunction)(void (*)(void))update_many, METH_VARARGS | METH_KEYWORDS,
     "Update each (Md5, buffer) pair's state with its buffer, several states at a time."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "vigilant.hashing._multimd5", "MD5 of several messages at once (SIMD lanes).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__multimd5(void)
{
    if (PyType_Ready(&Md5Type) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (!module)
        return NULL;
    find_kernels();
    PyObject *names = PyTuple_New(kernel_count);
    if (!names) {
        Py_DECREF(module);
        return NULL;
    }
    for (int k = 0; k < kernel_count; k++) {
        PyObject *name = PyUnicode_FromString(kernels[k].name);
        if (!name) {
            Py_DECREF(names);
            Py_DECREF(module);
            return NULL;
        }
        PyTuple_SET_ITEM(names, k, name);
    }
    Py_INCREF(&Md5Type);
    if (PyModule_AddObject(module, "Md5", (PyObject *)&Md5Type) < 0 ||
        PyModule_AddObject(module, "KERNELS", names) < 0 ||
        PyModule_AddIntConstant(module, "LANES", kernel_count > 1 ? LANES : 1) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
