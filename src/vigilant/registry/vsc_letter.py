"""The result letter of a vulnerable-sector check (PDF, fpdf2, as the lead package's PDF is made).

It says what the requester may know: the reference, the applicant as the request named them, the
organisation, the consent recorded, and "no record" or "possible match — fingerprint confirmation required"
(with the fingerprint step's outcome once recorded). Never a registrant's name or any registry detail.
Deterministic: the creation date is the request's own time and only the core fonts are used, so one
request always gives the same bytes.
"""

from __future__ import annotations

from fpdf import FPDF

from vigilant.leads.package_pdf import FONT, pdf_text
from vigilant.registry.vsc import VscAnswer

_AFTER_FINGERPRINTS = {
    "confirmed": "Fingerprint comparison completed: the possible match is confirmed. The applicant will be "
    "contacted about disclosure, which needs their further written consent.",
    "excluded": "Fingerprint comparison completed: the applicant is not the person on record. "
    "Result: no record.",
}
_PENDING = (
    "A possible match does not mean that the applicant has a record: a name and a date of birth are shared "
    "by many people. The applicant must give fingerprints for comparison; the result follows in a new letter."
)


def letter_pdf(answer: VscAnswer) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_creation_date(answer.requested_at)
    pdf.set_title(pdf_text(f"Vulnerable-sector check {answer.reference}"))
    pdf.set_creator("Vigilant")
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    pdf.set_font(FONT, style="B", size=15)
    pdf.multi_cell(0, 8, "Vulnerable-sector check: result", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.ln(3)
    for label, value in (
        ("Reference", answer.reference),
        ("Requested", f"{answer.requested_at:%Y-%m-%d %H:%M} UTC by {answer.requested_by}"),
        ("Requesting organisation", answer.organisation),
        ("Applicant", f"{answer.given_names} {answer.surname}"),
        ("Date of birth", answer.date_of_birth.isoformat()),
        ("Sex", answer.sex),
        ("Consent", answer.consent),
    ):
        pdf.set_font(FONT, style="B", size=10)
        pdf.cell(50, 6, pdf_text(label))
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, pdf_text(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, style="B", size=13)
    pdf.multi_cell(
        0, 8, pdf_text(f"Result: {answer.answer}".replace("—", "-")), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font(FONT, size=10)
    if answer.result == "possible_match":
        follow = _AFTER_FINGERPRINTS.get(answer.confirmation or "", _PENDING)
        if answer.confirmed_at is not None:
            follow += f" (recorded {answer.confirmed_at:%Y-%m-%d})"
        pdf.multi_cell(0, 5.5, pdf_text(follow), new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(
            0, 5.5, "No registry record matches the applicant's name and date of birth.", new_x="LMARGIN",
            new_y="NEXT",
        )  # fmt: skip
    return bytes(pdf.output())
