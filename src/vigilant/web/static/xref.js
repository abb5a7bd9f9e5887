// The xref queue, keyboard first: j/k (or the arrows) move between pairs; s, n or u choose same, not same
// or unsure for the selected pair and put the cursor in its reason; Enter there sends that judgement.
// Escape leaves the reason. Mouse users press the buttons; without this script every form still works.
"use strict";
(function () {
  const items = Array.from(document.querySelectorAll(".xref-item"));
  if (!items.length) return;
  const status = document.getElementById("xref-status");
  const chosen = new Map();
  const names = { same: "same", not_same: "not same", unsure: "unsure" };
  let current = -1; // nothing selected until the first key: the page does not steal the focus

  function say(text) { if (status) status.textContent = text; }

  function select(index) {
    current = Math.max(0, Math.min(items.length - 1, index));
    items[current].focus();
  }

  function choose(verdict) {
    const row = items[current];
    const reason = row.querySelector("input[name=reason]");
    if (!reason) { say("This pair names a person you may not see: contact the agency that holds it."); return; }
    chosen.set(row, verdict);
    say(`Proposal ${row.dataset.id}: ${names[verdict]}. Type the reason, then Enter.`);
    reason.focus();
  }

  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target instanceof HTMLInputElement && target.name === "reason") {
      const row = target.closest(".xref-item");
      if (event.key === "Escape") { event.preventDefault(); row.focus(); return; }
      if (event.key === "Enter") {
        event.preventDefault();
        const verdict = chosen.get(row);
        if (!verdict) { say("Choose first: s same, n not same, u unsure."); return; }
        if (!target.value.trim()) { say("A judgement needs a reason."); return; }
        const form = target.form;
        form.requestSubmit(form.querySelector(`button[value=${verdict}]`));
      }
      return;
    }
    if (target instanceof HTMLInputElement || target instanceof HTMLSelectElement) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const index = items.indexOf(target.closest ? target.closest(".xref-item") : null);
    if (index >= 0) current = index;
    const keys = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 };
    if (event.key in keys) { event.preventDefault(); select(current + keys[event.key]); return; }
    const verdicts = { s: "same", n: "not_same", u: "unsure" };
    if (event.key in verdicts) { event.preventDefault(); choose(verdicts[event.key]); }
  });

})();
