"""The lead package as a PDF (fpdf2), beside the JSON and HTML: the same facts, for agencies that file paper.

Deterministic: the PDF's creation date is the package's own ``exported_at`` (never the clock), the fonts
are the PDF core fonts (nothing embedded from the machine), so the same package renders to the same bytes.

Text: the core fonts cover Latin-1 only. Every string is passed through :func:`pdf_text`, which keeps
Latin-1 characters (``µTorrent`` stays as it is), drops control characters and writes anything else as
``<U+XXXX>`` so a client name or path in any script is still readable, exactly, from the PDF; the JSON
file keeps the original text. Nothing in the package is interpreted as markup.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace

FONT = "helvetica"
MONO = "courier"
_GREY = (230, 230, 230)


def pdf_text(value: object) -> str:
    """Latin-1 text for the core fonts: other characters as ``<U+XXXX>``, control characters dropped."""
    text = "" if value is None else str(value)
    out = []
    for char in text:
        if char in "\n\t":
            out.append(" " if char == "\t" else char)
        elif unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(f"<U+{ord(char):04X}>" if unicodedata.category(char) != "Cc" else "")
        elif ord(char) < 256:
            out.append(char)
        else:
            out.append(f"<U+{ord(char):04X}>")
    return "".join(out)


def _cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | dict):
        return pdf_text(json.dumps(value, sort_keys=True, ensure_ascii=False))
    return pdf_text(value)


class _Pdf(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="landscape", format="A4")
        self.doc_title = title
        self.set_auto_page_break(auto=True, margin=12)
        self.set_margins(10, 10, 10)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FONT, size=7)
        self.cell(0, 5, f"{self.doc_title} - page {self.page_no()}/{{nb}}", align="C")


def _heading(pdf: _Pdf, text: str, size: int = 13) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, style="B", size=size)
    pdf.multi_cell(0, 7, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=8)


def _table(pdf: _Pdf, header: list[str], rows: list[list[object]], widths: list[int]) -> None:
    pdf.set_font(FONT, size=7)
    with pdf.table(
        col_widths=tuple(widths),
        headings_style=FontFace(emphasis="BOLD", fill_color=_GREY),
        line_height=3.5,
        text_align="LEFT",
        wrapmode="CHAR",  # hashes and peer ids have no spaces: break them anywhere
    ) as table:
        table.row([pdf_text(h) for h in header])
        for row in rows:
            table.row([_cell(v) for v in row])
    pdf.set_font(FONT, size=8)


def _pairs(pdf: _Pdf, pairs: list[tuple[str, object]]) -> None:
    _table(pdf, ["field", "value"], [[k, v] for k, v in pairs], [40, 237])


def _paragraph(pdf: _Pdf, text: str) -> None:
    pdf.multi_cell(0, 4.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")


def _grounds(pdf: _Pdf, package: dict[str, Any]) -> None:
    """The grounds, each fact with the records it cites; then the known material and the sessions."""
    lead = package["lead"]
    _heading(pdf, "Grounds")
    announced = package.get("announced") or 0
    spoofable = (
        f" {announced} announced observation(s) (trackers, DHT, PEX) name addresses that may be spoofed: "
        "they are leads, not grounds, and are listed with the observations only."
        if announced
        else ""
    )
    _paragraph(
        pdf,
        f"The grounds for lead {lead['key']} (id {lead['id']}), as the observer's session logs record them. "
        "Each fact cites the record it rests on: session, record number and the record's SHA-256 in that "
        f"session's hash-chained log.{spoofable} Exported by {package.get('software', 'Vigilant')}.",
    )
    facts = package.get("grounds") or []
    for number, ground in enumerate(facts, 1):
        pdf.ln(1)
        _paragraph(pdf, f"{number}. {ground['fact']}")
        pdf.set_font(MONO, size=7)
        _paragraph(pdf, "   [" + "; ".join(ground["cites"]) + "]")
        pdf.set_font(FONT, size=8)
    if not facts:
        _paragraph(pdf, "No confirmed or downloaded observation: the lead has no grounds for legal process.")
    _heading(pdf, "Known material matched", 11)
    _table(
        pdf,
        ["matched by", "hash", "set", "version", "entry", "file", "category", "series"],
        [
            [
                k["matched_by"], k["digest"], k["set"], k["version"], f"{k['entry_id']}: {k['entry']}",
                k["file_name"],
                f"{k['category'] or '-'} ({k['category_text'] or 'uncategorised'}"
                + (f"; list's label: {k['category_label']}" if k.get("category_label") else "") + ")",
                k["series"],
            ]
            for k in package.get("known_material") or []
        ] or [["none", "", "", "", "", "", "", ""]],
        [28, 50, 34, 18, 40, 24, 48, 35],
    )  # fmt: skip
    _heading(pdf, "Observer sessions", 11)
    _table(
        pdf,
        ["session", "operator", "case", "software", "configuration SHA-256", "known material", "clock",
         "offset (ms)", "obs."],
        [
            [
                x["session_id"], x["operator"], x["case_id"], x["software"], x["config_sha256"],
                x["library_version"], x["clock_source"],
                "not measured" if x["clock_offset_ms"] is None else x["clock_offset_ms"],
                x["observations"],
            ]
            for x in package.get("sessions") or []
        ],
        [36, 22, 24, 22, 40, 30, 67, 20, 16],
    )  # fmt: skip


def _anchor_cell(anchor: dict[str, Any] | None) -> str:
    """The audit chain's word on a log's end: matches (event N), differs, missing, or not checked."""
    if not anchor or anchor.get("status") == "not-checked":
        return "not checked"
    seq = anchor.get("audit_seq")
    return f"{anchor['status']} (event {seq})" if seq is not None else str(anchor["status"])


def _table_answer(lead: dict[str, Any]) -> str:
    """What the jurisdiction table said, as it said it (an agency's name, its reason), for the record."""
    routing = lead.get("routing") or {}
    if not routing:
        return "none given"
    return f"names {lead['routed_to'] or '-'} ({routing.get('reason', '-')})"


def render_pdf(package: dict[str, Any]) -> bytes:
    lead = package["lead"]
    pdf = _Pdf(pdf_text(f"Lead {lead['key']}"))
    exported = datetime.fromisoformat(package["exported_at"])
    pdf.set_creation_date(exported)  # from the package, so the same package gives the same bytes
    pdf.set_title(pdf_text(f"Lead {lead['key']}"))
    pdf.set_author(pdf_text(package["exported_by"]))
    pdf.set_subject(pdf_text(package["format"]))
    pdf.set_creator("Vigilant")
    pdf.add_page()
    _heading(pdf, f"Lead {lead['key']}", 16)
    pdf.multi_cell(
        0,
        5,
        pdf_text(f"Exported {package['exported_at']} by {package['exported_by']} ({package['format']})."),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if not lead["actionable"]:
        pdf.set_text_color(170, 0, 0)
        pdf.multi_cell(
            0,
            5,
            "Not actionable: the lead is below the confirmed evidence tier.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    identities = lead.get("identities") or {}
    _pairs(
        pdf,
        [
            ("lead", f"{lead['key']} (id {lead['id']})"),
            ("status", lead["status"]),
            ("agency", lead["agency"] or "not assigned"),
            ("routing", lead["routing_status"]["text"]),
            ("jurisdiction table", _table_answer(lead)),
            ("window", f"{lead['window_days']} days to {lead['as_of']}"),
            ("first / last seen", f"{lead['first_seen']} / {lead['last_seen']}"),
            ("observations", lead["observation_count"]),
            ("distinct known files", lead["known_files"]),
            (
                "highest category",
                f"{lead['max_category'] or 'uncategorised'} (severity {lead['max_severity']})",
            ),
            ("seeding", "yes" if lead["seeding"] else "no / partial"),
            ("distinct days", lead["days_seen"]),
            ("evidence tier", lead["tier"]),
            ("peer ids", ", ".join(identities.get("peer_ids", []))),
            ("clients", ", ".join(identities.get("clients", []))),
        ],
    )
    _grounds(pdf, package)
    _heading(pdf, f"Score {lead['score']}")
    factors = lead["explanation"].get("factors", [])
    _table(
        pdf,
        ["factor", "value", "weight", "contribution", "why"],
        [[f["name"], f["value"], f["weight"], f["contribution"], f["explanation"]] for f in factors],
        [35, 22, 18, 24, 178],
    )
    _heading(pdf, "Addresses and geolocation")
    _table(
        pdf,
        ["IP", "first seen", "last seen", "obs.", "country", "province", "city", "ASN", "ISP", "agency"],
        [
            [ip["ip"], ip["first_seen"], ip["last_seen"], ip["observation_count"]]
            + [ip["geo"].get(k) for k in ("country", "subdivision", "city", "asn", "isp")]
            + [ip["agency"]]
            for ip in lead["ips"]
        ],
        [30, 34, 34, 12, 18, 22, 24, 16, 45, 42],
    )
    databases = lead.get("geo_databases") or []
    _table(
        pdf,
        ["geolocation database", "type", "built (UTC)", "SHA-256"],
        [[d.get("file"), d.get("database_type"), d.get("build_utc"), d.get("sha256")] for d in databases]
        or [["none given", "", "", ""]],
        [60, 50, 50, 117],
    )
    _heading(pdf, "Session log verification")
    verification = package["log_verification"]
    pdf.multi_cell(0, 5, pdf_text(f"Status: {verification.get('status')}"), new_x="LMARGIN", new_y="NEXT")
    logs = verification.get("logs", [])
    if logs:
        _table(
            pdf,
            ["log", "result", "records", "pieces re-verified", "final SHA-256", "audit chain", "problems"],
            [
                [
                    r["log"], "intact" if r["ok"] else "FAILED", r["records"], r["pieces_checked"],
                    r["final_sha256"], _anchor_cell(r.get("anchor")), "; ".join(r["problems"]),
                ]
                for r in logs
            ],
            [50, 14, 14, 18, 80, 30, 71],
        )  # fmt: skip
    _heading(pdf, "History")
    _table(
        pdf,
        ["at", "actor", "action", "from", "to", "detail"],
        [[e["at"], e["actor"], e["action"], e["from"], e["to"], e["detail"]] for e in lead["events"]],
        [36, 30, 30, 26, 26, 129],
    )
    observations = package["observations"]
    _heading(pdf, f"Observations ({len(observations)})")
    _table(
        pdf,
        ["time (UTC)", "IP", "port", "tier", "method", "infohash", "peer id", "client", "seeding", "source",
         "record SHA-256"],
        [
            [
                o.get("ts_utc"), o.get("ip"), o.get("port"), o.get("tier"), o.get("method"),
                o.get("infohash_v1") or o.get("infohash_v2"), o.get("peer_id"), o.get("client"),
                o.get("seeding"), f"{o.get('source') or ''} {o.get('reported_by') or ''}".strip(),
                o.get("record_sha256"),
            ]
            for o in observations
        ],
        [28, 20, 11, 17, 17, 36, 30, 20, 12, 40, 46],
    )  # fmt: skip
    return bytes(pdf.output())
