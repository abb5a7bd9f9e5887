"""A generated province-wide operation for the demo, made through the cases services.

27 agencies (a coordinating provincial service and 26 municipal ones, each with its jurisdiction), an
operation they all take part in, their cases with accused (youths among them), charges, arrests, victims
identified and safeguarded, legal process executed, devices seized, publication bans, and a few thousand IP
addresses linked to the cases.

Deterministic: one seed drives Faker and :class:`random.Random`, so two demos build the same operation (only
the records' creation times differ). Names and addresses are Faker's inventions; every IP comes from the
documentation ranges (RFC 5737 and RFC 3849), e-mail addresses use example.net (RFC 2606) and telephone
numbers the fictional 555-01XX block.
"""

from __future__ import annotations

import ipaddress
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from faker import Faker
from sqlalchemy import insert, select

from vigilant.cases.agencies import add_agency
from vigilant.cases.ages import was_youth
from vigilant.cases.identifiers import IdentifierKind, clean
from vigilant.cases.links import link_identifier
from vigilant.cases.models import (
    CaseRow,
    Distribution,
    IdentifierLinkRow,
    IdentifierRow,
    PersonRole,
    PersonRow,
    ProcessKind,
)
from vigilant.cases.operations import add_operation, add_participants
from vigilant.cases.people import add_person, record_ban, record_victim
from vigilant.cases.process import (
    DeviceSeized,
    add_legal_process,
    lay_charge,
    record_arrest,
    record_execution,
    record_seizure,
)
from vigilant.cases.service import load_case, open_case
from vigilant.security.rights import Actor
from vigilant.store import Database
from vigilant.store.models import utcnow

SEED = 2026
PROVINCE = "ON"
OPERATION_CODE = "OP-LANTERN"
OPERATION_NAME = "Lantern"
OPERATION_STARTS = date(2026, 3, 2)
OPERATION_ENDS = date(2026, 10, 30)
MUNICIPAL_AGENCIES = 26
AGENCIES = 1 + MUNICIPAL_AGENCIES  # with the coordinating provincial service
GENERATOR = "vigilant-demo"

IPV4_NETWORKS = tuple(ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"))
IPV6_NETWORK = ipaddress.IPv6Network("2001:db8::/32")
DOCUMENTATION_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    *IPV4_NETWORKS,
    IPV6_NETWORK,
)
IPV6_ADDRESSES = 2232  # with the 768 IPv4 documentation addresses: 3,000 distinct IPs

# How often each offence is charged; codes from vigilant.cases.offences (lay_charge refuses any other).
CHARGE_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("cp-possessing", 30),
    ("cp-accessing", 20),
    ("cp-distributing", 18),
    ("cp-making", 5),
    ("luring", 10),
    ("invitation-sexual-touching", 4),
    ("sexual-interference", 5),
    ("explicit-material-to-child", 4),
    ("agreement-arrangement", 3),
    ("voyeurism", 3),
    ("intimate-images", 3),
    ("fail-to-comply", 2),
)
CASE_TITLES = (
    "P2P sharing of known material",
    "CyberTip referral",
    "Online luring report",
    "Sextortion complaint",
    "Cloud provider report",
    "Chat platform referral",
)
DEVICES = (
    ("Laptop computer", "Lenovo", "ThinkPad T14"),
    ("Mobile phone", "Samsung", "Galaxy S23"),
    ("Mobile phone", "Apple", "iPhone 14"),
    ("External hard drive", "Western Digital", "My Passport 2TB"),
    ("USB flash drive", "SanDisk", "Ultra 64GB"),
    ("Desktop computer", "Dell", "OptiPlex 7090"),
    ("Tablet", "Apple", "iPad (9th generation)"),
)
ISP = "Northwind Telecom (fictional ISP)"
COURT = "Ontario Court of Justice"


@dataclass(frozen=True)
class DemoAgency:
    id: int
    name: str
    short_name: str
    municipalities: tuple[str, ...]


@dataclass
class GeneratedOperation:
    """What was made, for the demo's printout and the tests."""

    code: str
    name: str
    agencies: list[DemoAgency] = field(default_factory=list)  # the coordinator first
    cases: int = 0
    accused: int = 0
    youths: int = 0  # accused under 18 at their earliest offence
    charges: int = 0
    arrests: int = 0
    victims: int = 0
    witnesses: int = 0
    warrants_executed: int = 0
    devices_seized: int = 0
    bans: int = 0
    ip_addresses: int = 0  # distinct IPs linked
    ip_links: int = 0
    seconds: float = 0.0

    @property
    def coordinator(self) -> DemoAgency:
        return self.agencies[0]


def documentation_ip(text: str) -> bool:
    """True when ``text`` is an address from the documentation ranges (the only ones the demo uses)."""
    address = ipaddress.ip_address(text)
    return any(address in network for network in DOCUMENTATION_NETWORKS)


def ip_pool(rng: random.Random) -> list[str]:
    """Every IPv4 documentation address and a fixed number of 2001:db8::/32 ones, shuffled by ``rng``."""
    v4 = [str(a) for network in IPV4_NETWORKS for a in network]
    v6: set[str] = set()
    base = int(IPV6_NETWORK.network_address)
    while len(v6) < IPV6_ADDRESSES:
        # Subscriber-style addresses: a /48 site prefix, a /64 subnet, and a small interface id.
        site, subnet, host = rng.getrandbits(16), rng.getrandbits(16), rng.randrange(1, 0x10000)
        v6.add(str(ipaddress.IPv6Address(base | site << 80 | subnet << 64 | host)))
    pool = v4 + sorted(v6)
    rng.shuffle(pool)
    return pool


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _moment(rng: random.Random, day: date, first_hour: int = 6, last_hour: int = 20) -> datetime:
    return datetime(
        day.year, day.month, day.day, rng.randint(first_hour, last_hour), rng.randrange(60), tzinfo=UTC
    )


def _short_name(municipality: str, taken: set[str]) -> str:
    """A police service's short name: initials (West Waynehaven: WWPS) or a stem (Loganside: LOGPS)."""
    words = municipality.replace("-", " ").split()
    stem = ("".join(w[0] for w in words) if len(words) > 1 else words[0][:3]).upper()
    short, n = f"{stem}PS", 2
    while short in taken:
        short, n = f"{stem}{n}PS", n + 1
    taken.add(short)
    return short


class _Sighting(NamedTuple):
    case_id: int
    kind: IdentifierKind
    raw: str
    person_id: int | None
    seen: datetime
    source: str


class _Generator:
    """One generation run: the seeded sources of names and numbers, and what has been made so far."""

    def __init__(self, db: Database, seed: int) -> None:
        self.db = db
        self.rng = random.Random(seed)
        self.fake = Faker("en_CA")
        self.fake.seed_instance(seed)
        self.ips = ip_pool(self.rng)
        self.names: set[tuple[str, str]] = set()
        self.out = GeneratedOperation(OPERATION_CODE, OPERATION_NAME)
        self.admin = Actor.cli(GENERATOR)
        self.sightings: list[_Sighting] = []  # identifiers seen in cases, written in bulk at the end
        self.intra_familial = 0
        self.next_ip = 0  # the pool's next unused address

    # --- agencies and the operation ---------------------------------------------------------------------
    def agencies(self) -> None:
        cities: list[str] = []
        while len(cities) < MUNICIPAL_AGENCIES + 6:
            city = self.fake.city()
            if city not in cities:
                cities.append(city)
        rural = cities[MUNICIPAL_AGENCIES:]  # policed by the provincial service
        taken = {"PPS"}
        row = add_agency(
            self.db,
            self.admin,
            name="Provincial Police Service",
            short_name="PPS",
            province=PROVINCE,
            municipalities=rural,
            is_coordinator=True,
        )
        self.out.agencies.append(DemoAgency(row.id, row.name, row.short_name, tuple(row.municipalities)))
        for city in cities[:MUNICIPAL_AGENCIES]:
            extra = [f"{city} Township"] if self.rng.random() < 0.3 else []
            row = add_agency(
                self.db,
                self.admin,
                name=f"{city} Police Service",
                short_name=_short_name(city, taken),
                province=PROVINCE,
                municipalities=[city, *extra],
            )
            self.out.agencies.append(DemoAgency(row.id, row.name, row.short_name, tuple(row.municipalities)))

    def actor(self, agency: DemoAgency, role: str = "investigator") -> Actor:
        return Actor.cli(f"{GENERATOR}@{agency.short_name}", agency_id=agency.id, roles={role})

    def operation(self) -> None:
        coordinator = self.actor(self.out.coordinator, "coordinator")
        others = [a.short_name for a in self.out.agencies[1:]]
        half = len(others) // 2
        add_operation(
            self.db,
            coordinator,
            code=OPERATION_CODE,
            name=OPERATION_NAME,
            starts_on=OPERATION_STARTS,
            ends_on=OPERATION_ENDS,
            participants=others[:half],
        )
        add_participants(self.db, coordinator, OPERATION_CODE, others[half:])  # agencies that joined later

    # --- people ---------------------------------------------------------------------------------------
    def _name(self, surname: str | None = None) -> tuple[str, str, str]:
        while True:
            gender = self.rng.choice(("female", "male"))
            given = self.fake.first_name_female() if gender == "female" else self.fake.first_name_male()
            family = surname or self.fake.last_name()
            if (given, family) not in self.names:
                self.names.add((given, family))
                return given, family, gender

    def _address(self, municipality: str) -> str:
        return f"{self.fake.street_address()}, {municipality}, {PROVINCE} {self.fake.postalcode()}"

    def person(
        self,
        actor: Actor,
        case_id: int,
        role: PersonRole,
        *,
        age: int,
        on: date,
        municipality: str,
        surname: str | None = None,
        address: str | None = None,
        depicted: bool = False,
    ) -> PersonRow:
        """A person ``age`` years old on ``on`` (their birthday 1 to 360 days before it)."""
        given, family, gender = self._name(surname)
        born = _years_before(on, age) - timedelta(days=self.rng.randint(1, 360))
        return add_person(
            self.db,
            actor,
            case_id,
            given_names=given,
            surname=family,
            role=role,
            date_of_birth=born,
            gender=gender,
            depicted=depicted,
            municipality=municipality,
            address=address or self._address(municipality),
        )

    # --- one case ---------------------------------------------------------------------------------------
    def case(self, agency: DemoAgency, seq: int) -> None:
        rng, out = self.rng, self.out
        actor = self.actor(agency)
        municipality = rng.choice(agency.municipalities)
        opened = _day_between(rng, OPERATION_STARTS, OPERATION_STARTS + timedelta(days=60))
        number = f"{agency.short_name}-2026-{seq:04d}"
        case = open_case(
            self.db,
            actor,
            number=number,
            title=f"{rng.choice(CASE_TITLES)}: {municipality}",
            operation=OPERATION_CODE,
            distribution=Distribution.OPERATION,
            opened_at=_moment(rng, opened),
        )
        out.cases += 1
        by = f"{agency.short_name} Internet Child Exploitation unit"
        self._ips_for_case(case.id, rng.randint(30, 90), "ISP subscriber return")

        first_ip = self.ips[rng.randrange(len(self.ips))]
        issued = _moment(rng, opened + timedelta(days=rng.randint(1, 5)))
        add_legal_process(
            self.db,
            actor,
            case.id,
            kind=ProcessKind.PRESERVATION_DEMAND,
            target=f"{ISP}: subscriber and session records for {first_ip}",
            issued_at=issued,
            reference=f"{number}-PD",
            expires_at=issued + timedelta(days=21),
        )
        add_legal_process(
            self.db,
            actor,
            case.id,
            kind=ProcessKind.PRODUCTION_ORDER,
            target=f"{ISP}: subscriber information for {first_ip}",
            issued_at=issued + timedelta(days=rng.randint(2, 10)),
            issued_by_court=f"{COURT}, {municipality}",
            issued_by_judge=f"Justice of the Peace {self.fake.name()}",
            reference=f"{number}-PO",
        )

        n_accused = rng.choice((0, 1, 1, 1, 1, 2))
        for _ in range(n_accused):
            self.accused(actor, case.id, municipality, number, by)
        if n_accused == 0 or rng.random() < 0.35:
            self.victims(actor, case.id, municipality, surname=None, address=None)
        if rng.random() < 0.15:
            self.person(
                actor,
                case.id,
                PersonRole.WITNESS,
                age=rng.randint(25, 60),
                on=opened,
                municipality=municipality,
            )
            out.witnesses += 1

    def accused(self, actor: Actor, case_id: int, municipality: str, number: str, by: str) -> None:
        rng, out = self.rng, self.out
        youth = out.accused % 7 == 3  # about one accused in seven was under 18 at the offence
        first_offence = _day_between(rng, date(2025, 5, 1), date(2026, 7, 31))
        person = self.person(
            actor,
            case_id,
            PersonRole.SUSPECT,
            age=rng.randint(14, 17) if youth else rng.randint(19, 68),
            on=first_offence,
            municipality=municipality,
        )
        assert person.date_of_birth is not None
        assert was_youth(person.date_of_birth, first_offence) is youth
        out.accused += 1
        out.youths += youth
        laid = _day_between(rng, max(OPERATION_STARTS, first_offence + timedelta(days=30)), OPERATION_ENDS)
        codes = [c for c, _ in CHARGE_WEIGHTS]
        weights = [w for _, w in CHARGE_WEIGHTS]
        for i, code in enumerate(rng.choices(codes, weights, k=rng.choice((1, 1, 2, 2, 3, 4)))):
            start = first_offence if i == 0 else _day_between(rng, first_offence, laid - timedelta(days=1))
            end = (
                _day_between(rng, start, min(start + timedelta(days=90), laid))
                if rng.random() < 0.5
                else None
            )
            lay_charge(
                self.db,
                actor,
                case_id,
                person.id,
                offence_code=code,
                offence_from=start,
                offence_to=end,
                laid_on=laid,
            )
            out.charges += 1

        # The subscriber behind the case's IP, their accounts, and the search of their home.
        handle = f"{self.fake.user_name()}{rng.randint(1, 99)}"
        seen = _moment(rng, _day_between(rng, OPERATION_STARTS, laid))
        link_identifier(
            self.db,
            actor,
            case_id,
            IdentifierKind.IP,
            self.ips[rng.randrange(len(self.ips))],
            person_id=person.id,
            observed_at=seen,
            source="production order return",
        )
        out.ip_links += 1
        phone = f"+1 {rng.choice(('416', '613', '705', '905'))} 555 01{rng.randrange(100):02d}"
        for kind, raw in (
            (IdentifierKind.EMAIL, f"{handle}@example.net"),
            (IdentifierKind.USERNAME, handle),
            (IdentifierKind.PHONE, phone),
        ):
            self.sightings.append(_Sighting(case_id, kind, raw, person.id, seen, "production order return"))
        assert person.address is not None
        warrant = add_legal_process(
            self.db,
            actor,
            case_id,
            kind=ProcessKind.SEARCH_WARRANT,
            target=f"Residence: {person.address}",
            issued_at=_moment(rng, laid - timedelta(days=rng.randint(2, 6))),
            issued_by_court=f"{COURT}, {municipality}",
            issued_by_judge=f"Justice {self.fake.last_name()}",
            reference=f"{number}-SW{out.accused:02d}",
        )
        if rng.random() < 0.9:
            executed = _moment(rng, laid, 6, 9)
            record_execution(self.db, actor, warrant.id, executed_at=executed, where=person.address, by=by)
            out.warrants_executed += 1
            devices = []
            for d in range(rng.randint(1, 4)):
                description, make, model = rng.choice(DEVICES)
                serial = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(12))
                devices.append(DeviceSeized(description, make, model, serial, f"{number}-EX{d + 1:02d}"))
            record_seizure(
                self.db,
                actor,
                case_id,
                seized_at=executed + timedelta(minutes=40),
                where=person.address,
                by=by,
                devices=devices,
                legal_process_id=warrant.id,
            )
            out.devices_seized += len(devices)
        if rng.random() < 0.9:
            record_arrest(
                self.db,
                actor,
                case_id,
                person.id,
                arrested_at=_moment(rng, laid, 7, 12),
                where=person.address,
                by=by,
            )
            out.arrests += 1

        # Two intra-familial cases: the victim lives with the accused. Naming the accused could identify
        # the victim: a court bans it in the first; the second is left for the release review to flag.
        if not youth and self.intra_familial < 2 and out.accused % 5 == 1:
            self.intra_familial += 1
            self.victims(actor, case_id, municipality, surname=person.surname, address=person.address)
            if self.intra_familial == 1:
                record_ban(
                    self.db,
                    actor,
                    case_id,
                    person.id,
                    authority="486.4(1)",
                    court=f"{COURT}, {municipality}",
                    court_file=f"{number}-CF",
                    ordered_on=laid + timedelta(days=1),
                    details="identity of the accused: naming them would identify the complainant",
                )
                self.out.bans += 1

    def victims(
        self, actor: Actor, case_id: int, municipality: str, *, surname: str | None, address: str | None
    ) -> None:
        rng, out = self.rng, self.out
        for _ in range(1 if surname else rng.choice((1, 1, 2))):
            identified = _day_between(rng, OPERATION_STARTS, OPERATION_ENDS - timedelta(days=20))
            victim = self.person(
                actor,
                case_id,
                PersonRole.VICTIM,
                age=rng.randint(6, 16),
                on=identified,
                municipality=municipality,
                surname=surname,
                address=address,
                depicted=True,
            )
            safeguarded = identified + timedelta(days=rng.randint(0, 7)) if rng.random() < 0.9 else None
            referred = (
                safeguarded + timedelta(days=rng.randint(1, 10))
                if safeguarded and rng.random() < 0.7
                else None
            )
            record_victim(
                self.db,
                actor,
                case_id,
                victim.id,
                identified_on=identified,
                safeguarded_on=safeguarded,
                referred_on=referred,
                referred_to=f"Child and Youth Advocacy Centre, {municipality}" if referred else None,
            )
            out.victims += 1
            if out.victims == 3:  # the mandatory ban on identifying a complainant under 18 (s.486.4(2.2))
                record_ban(
                    self.db,
                    actor,
                    case_id,
                    victim.id,
                    authority="486.4(2.2)",
                    court=f"{COURT}, {municipality}",
                    ordered_on=identified + timedelta(days=30),
                )
                out.bans += 1

    # --- identifiers, in bulk ---------------------------------------------------------------------------
    def _ips_for_case(self, case_id: int, n: int, source: str) -> None:
        """Queue ``n`` IPs seen in the case: mostly fresh ones from the pool, some already seen elsewhere."""
        for _ in range(n):
            if self.next_ip and self.rng.random() < 0.08:  # the cross-case link an analyst looks for
                address = self.ips[self.rng.randrange(self.next_ip)]
            elif self.next_ip < len(self.ips):
                address, self.next_ip = self.ips[self.next_ip], self.next_ip + 1
            else:
                address = self.rng.choice(self.ips)
            seen = _moment(self.rng, _day_between(self.rng, OPERATION_STARTS, OPERATION_ENDS), 0, 23)
            self.sightings.append(_Sighting(case_id, IdentifierKind.IP, address, None, seen, source))

    def spread_ips(self) -> None:
        """Give every address of the pool not yet used to a case, so all of them are linked."""
        case_ids = sorted({x.case_id for x in self.sightings})
        for address in self.ips[self.next_ip :]:
            seen = _moment(self.rng, _day_between(self.rng, OPERATION_STARTS, OPERATION_ENDS), 0, 23)
            case_id = self.rng.choice(case_ids)
            self.sightings.append(
                _Sighting(case_id, IdentifierKind.IP, address, None, seen, "ISP subscriber return")
            )
        self.next_ip = len(self.ips)

    def write_sightings(self, actors: dict[int, Actor]) -> None:
        """One transaction for the thousands of sightings, with :func:`link_identifier`'s checks: the owning
        agency writes each case, and every value is cleaned as its kind."""
        now = utcnow()
        cleaned = [clean(x.kind, x.raw) for x in self.sightings]
        with self.db.session() as s:
            owners = dict(s.execute(select(CaseRow.id, CaseRow.agency_id)).all())
            for case_id in sorted({x.case_id for x in self.sightings}):
                load_case(s, actors[owners[case_id]], case_id, write=True)
            hubs = {
                (k, v): i
                for k, v, i in s.execute(select(IdentifierRow.kind, IdentifierRow.value, IdentifierRow.id))
            }
            fresh = sorted(
                {(x.kind.value, v) for x, v in zip(self.sightings, cleaned, strict=True)} - set(hubs)
            )
            if fresh:
                s.execute(
                    insert(IdentifierRow), [{"kind": k, "value": v, "created_at": now} for k, v in fresh]
                )
                hubs = {
                    (k, v): i
                    for k, v, i in s.execute(
                        select(IdentifierRow.kind, IdentifierRow.value, IdentifierRow.id)
                    )
                }
            s.execute(
                insert(IdentifierLinkRow),
                [
                    {
                        "identifier_id": hubs[(x.kind.value, value)],
                        "case_id": x.case_id,
                        "person_id": x.person_id,
                        "raw": x.raw,
                        "observed_at": x.seen,
                        "source": x.source,
                        "created_at": now,
                    }
                    for x, value in zip(self.sightings, cleaned, strict=True)
                ],
            )
        self.out.ip_links += sum(x.kind is IdentifierKind.IP for x in self.sightings)


def generate_operation(db: Database, *, seed: int = SEED) -> GeneratedOperation:
    """Build the demo operation in ``db`` (which should hold no other agencies); a few seconds."""
    started = time.perf_counter()
    g = _Generator(db, seed)
    g.agencies()
    g.operation()
    for agency in g.out.agencies:
        for seq in range(1, (4 if agency is g.out.coordinator else g.rng.choice((1, 1, 2, 2, 3))) + 1):
            g.case(agency, seq)
    g.spread_ips()
    g.write_sightings({a.id: g.actor(a) for a in g.out.agencies})
    with db.session() as s:
        g.out.ip_addresses = len(
            set(
                s.scalars(
                    select(IdentifierRow.value)
                    .join(IdentifierLinkRow, IdentifierLinkRow.identifier_id == IdentifierRow.id)
                    .where(IdentifierRow.kind == IdentifierKind.IP.value)
                )
            )
        )
    g.out.seconds = time.perf_counter() - started
    return g.out
