// Review, keyboard first. j/k (or the arrows) move; the keys of the chosen profile (0-4 Project VIC US,
// 0-5 legacy DHS, A/B/C UK CAID: each option's data-keys) categorise the selected item's stack; s turns "whole stack" on and off; u undoes your latest decision; r reveals the
// selected item in the clear, for a reason, for the unit's reveal time, then it is blurred again.
// Thumbnails are blurred and grey on the server; the clear one is asked for only after a reveal.
// Nothing plays: a video is a strip of key frames.
"use strict";
(function () {
  const root = document.getElementById("review");
  if (!root) return;
  const items = Array.from(document.querySelectorAll(".review-item"));
  const status = document.getElementById("status");
  let current = 0;

  function csrf() {
    const found = document.cookie.split("; ").find((c) => c.startsWith("vigilant_csrf="));
    return found ? decodeURIComponent(found.split("=")[1]) : "";
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.detail || data.message || response.statusText);
    return data;
  }

  function say(text) { if (status) status.textContent = text; }

  function select(index) {
    if (!items.length) return;
    current = Math.max(0, Math.min(items.length - 1, index));
    items.forEach((el, i) => el.classList.toggle("selected", i === current));
    items[current].scrollIntoView({ block: "nearest" });
  }

  function value(id) { const el = document.getElementById(id); return el ? el.value : ""; }

  // The keys that categorise follow the profile: only its codes record a decision.
  function profileKeys() {
    const chosen = document.querySelector("#profile option:checked");
    return chosen ? chosen.dataset.keys.split(" ") : [];
  }
  function ticked(id) { const el = document.getElementById(id); return !!(el && el.checked); }

  async function exposure() {
    try {
      const e = await call("GET", "/api/v1/review/exposure");
      document.getElementById("exposure").textContent =
        `Today: ${e.revealed} revealed (${e.reveals_left} left), ${e.minutes} min in review`;
      document.getElementById("break").hidden = !e.break_due;
    } catch (err) { say(String(err.message || err)); }
  }

  async function categorise(code) {
    const item = items[current];
    if (!item) return;
    const age = value("age-band");
    const body = {
      category: code,
      profile: value("profile"),
      stack: ticked("whole-stack"),
      series: value("series") || null,
      new_series: ticked("new-series"),
      victims: age ? [{ age_band: age, sex: value("sex") }] : [],
      identified: ticked("identified"),
      offender_visible: ticked("offender-visible"),
      sexual_assault: ticked("sexual-assault"),
      self_generated: ticked("self-generated"),
      suspected_ai: ticked("suspected-ai"),
      possible_production: ticked("possible-production"),
      location_notes: value("location-notes") || null,
    };
    try {
      const done = await call("POST", `/api/v1/review/items/${item.dataset.item}/decision`, body);
      item.classList.add("done");
      item.querySelector(".decision").textContent = `decided ${done.category}`;
      say(`Categorised ${done.items.length} item(s) as ${done.category}.`);
      select(current + 1);
      exposure();
    } catch (err) { say(`Not categorised: ${err.message || err}`); }
  }

  async function undo() {
    try {
      const done = await call("POST", "/api/v1/review/undo");
      items.forEach((el) => {
        if (done.items.includes(Number(el.dataset.item))) {
          el.classList.remove("done");
          el.querySelector(".decision").textContent = "";
        }
      });
      say(`Undone: ${done.items.length} item(s).`);
    } catch (err) { say(`Nothing undone: ${err.message || err}`); }
  }

  async function reveal() {
    const item = items[current];
    if (!item) return;
    const reason = window.prompt("Why do you need to see this item in the clear? (recorded in the audit log)");
    if (!reason || !reason.trim()) { say("Not revealed: a reveal needs a reason."); return; }
    const id = item.dataset.item;
    try {
      const shown = await call("POST", `/api/v1/review/items/${id}/reveal`, { reason: reason.trim() });
      const img = item.querySelector("img.thumb");
      if (img) {
        img.src = `/api/v1/review/items/${id}/clear`;
        img.classList.add("revealed");
        window.setTimeout(() => {
          img.src = `/api/v1/review/items/${id}/thumbnail`;
          img.classList.remove("revealed");
        }, shown.seconds * 1000);
      }
      say(`Revealed for ${shown.seconds} s.`);
      exposure();
    } catch (err) { say(`Not revealed: ${err.message || err}`); }
  }

  document.addEventListener("keydown", (event) => {
    const tag = (event.target && event.target.tagName) || "";
    if (["INPUT", "SELECT", "TEXTAREA"].includes(tag) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key;
    if (key === "j" || key === "ArrowDown") select(current + 1);
    else if (key === "k" || key === "ArrowUp") select(current - 1);
    else if (profileKeys().includes(key.toUpperCase())) categorise(key.toUpperCase());
    else if (key === "s") { const box = document.getElementById("whole-stack"); box.checked = !box.checked; }
    else if (key === "u") undo();
    else if (key === "r") reveal();
    else return;
    event.preventDefault();
  });

  // Another profile (for a run not categorised yet) shows its codes and keys: the page is made again for it.
  const chooser = document.getElementById("profile");
  if (chooser) {
    chooser.addEventListener("change", () => {
      const url = new URL(window.location.href);
      url.searchParams.set("profile", chooser.value);
      window.location.assign(url.toString());
    });
  }

  select(0);
  exposure();
  window.setInterval(exposure, 60000); // time in review is counted while the page is in use
})();
