// The review page's script (inlined by labelaudit/review/html.py; the CSP allows only its hash).
// It renders only the table rows in view (virtual scrolling), keeps one row selected, and turns
// keys into decisions saved in localStorage under the report's sha256.
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const rows = data.rows;
  const classes = data.classes;
  const canDecide = !data.multi_label;
  const STORE = "labelaudit:decisions:" + data.report_hash;
  const OVERSCAN = 8;
  const $ = (id) => document.getElementById(id);

  // ---- columns -------------------------------------------------------------------------------
  const has = (key) => rows.length > 0 && key in rows[0];
  const columns = [["issue_rank", "rank"], ["row", "row"]];
  if (data.has_id) columns.push(["id", "id"]);
  if (data.has_image) columns.push(["image", "image"]);
  if (data.has_text) columns.push(["text", "text"]);
  columns.push(["given", "given"], ["suggested", "suggested"]);
  if (has("suggestion_confidence")) columns.push(["suggestion_confidence", "p(suggested)"]);
  columns.push(["label_quality", "quality"]);
  if (data.has_grade) columns.push(["grade", "grade"], ["evidence", "evidence"]);
  if (has("conflicting_duplicate_of")) columns.push(["conflicting_duplicate_of", "conflicts with"]);
  if (has("duplicate_of")) columns.push(["duplicate_of", "duplicate of"]);
  if (canDecide) columns.push(["decision", "decision"]);

  const name = (k) => (k >= 0 && k < classes.length ? classes[k] : String(k));
  const labelText = (v) => (Array.isArray(v) ? v.map(name).join(", ") || "∅" : name(v));

  // ---- decisions: {row: {decision, new_label, given_label, id}} in localStorage ---------------
  let decisions = new Map();
  let storageOk = true;
  try {
    const saved = JSON.parse(localStorage.getItem(STORE) || "{}");
    Object.entries(saved).forEach(([row, d]) => decisions.set(Number(row), d));
  } catch (err) {
    storageOk = false;
  }
  function save() {
    try {
      localStorage.setItem(STORE, JSON.stringify(Object.fromEntries(decisions)));
    } catch (err) {
      if (storageOk) say("This browser does not keep decisions: download them before leaving.");
      storageOk = false;
    }
  }
  function decisionText(d) {
    if (!d) return "";
    return d.decision === "keep" ? "keep" : d.decision + " → " + name(d.new_label);
  }
  function value(r, key) {
    if (key === "decision") return decisionText(decisions.get(r.row));
    if (key === "given" || key === "suggested") return labelText(r[key]);
    if (key === "image") return r.image_name || "";
    return r[key];
  }

  // ---- view state, from the URL fragment -----------------------------------------------------
  const params = new URLSearchParams(location.hash.slice(1));
  const wantedClass = params.get("class") || "";
  const state = {
    sort: params.get("sort") || "issue_rank",
    desc: params.get("desc") === "1",
    q: params.get("q") || "",
    cls: classes.indexOf(wantedClass) >= 0 ? String(classes.indexOf(wantedClass)) : wantedClass,
    grade: params.get("grade") || "",
    flagged: params.get("flagged") === "1",
    decided: params.get("decided") || "",
  };
  let view = []; // positions in rows, filtered and sorted
  let where = new Int32Array(rows.length); // position -> index in view, or -1
  let selected = -1; // a position in rows
  let rowHeight = 34;
  const undo = [];

  const scroller = $("table-scroll");
  const thead = document.querySelector("#issue-table thead");
  const tbody = document.querySelector("#issue-table tbody");

  // ---- controls ------------------------------------------------------------------------------
  function option(select, val, text) {
    const o = document.createElement("option");
    o.value = val;
    o.textContent = text;
    select.appendChild(o);
  }
  function setUpControls() {
    $("filter").value = state.q;
    option($("class-filter"), "", "any class");
    classes.forEach((c, k) => option($("class-filter"), String(k), k + " · " + c));
    $("class-filter").value = state.cls;
    if (data.has_grade) {
      option($("grade-filter"), "", "any grade");
      option($("grade-filter"), "confident", "confident");
      option($("grade-filter"), "review", "review");
      $("grade-filter").value = state.grade;
    } else $("grade-filter").hidden = true;
    if (data.all_rows) {
      option($("flagged-filter"), "", "every row");
      option($("flagged-filter"), "1", "flagged only");
      $("flagged-filter").value = state.flagged ? "1" : "";
    } else $("flagged-filter").hidden = true;
    if (canDecide) {
      option($("decided-filter"), "", "decided or not");
      option($("decided-filter"), "no", "undecided");
      option($("decided-filter"), "yes", "decided");
      $("decided-filter").value = state.decided;
    } else {
      ["decided-filter", "download", "decided-count"].forEach((id) => ($(id).hidden = true));
    }
    const refilter = () => {
      state.q = $("filter").value;
      state.cls = $("class-filter").value;
      state.grade = $("grade-filter").value;
      state.flagged = $("flagged-filter").value === "1";
      state.decided = $("decided-filter").value;
      update();
    };
    $("filter").addEventListener("input", refilter);
    ["class-filter", "grade-filter", "flagged-filter", "decided-filter"].forEach((id) =>
      $(id).addEventListener("change", refilter));
    $("download").addEventListener("click", download);
    $("show-keys").addEventListener("click", () => toggle($("help")));
    const header = document.createElement("tr");
    columns.forEach(([key, label]) => {
      const th = document.createElement("th");
      th.textContent = label;
      th.dataset.key = key;
      th.addEventListener("click", () => {
        if (state.sort === key) state.desc = !state.desc;
        else { state.sort = key; state.desc = false; }
        update();
      });
      header.appendChild(th);
    });
    thead.appendChild(header);
  }

  // ---- filtering and sorting -----------------------------------------------------------------
  let haystack = null; // lower-cased row texts (decisions aside), built on the first text search
  function matches(r, i, q) {
    if (q) {
      if (!haystack) haystack = rows.map((x) => columns.filter(([k]) => k !== "decision").map(([k]) => String(value(x, k) ?? "")).join(" ").toLowerCase());
      if (!haystack[i].includes(q)) return false;
    }
    if (state.cls !== "") {
      const k = Number(state.cls);
      const inIt = (v) => (Array.isArray(v) ? v.includes(k) : v === k);
      if (!inIt(r.given) && !inIt(r.suggested)) return false;
    }
    if (state.grade && r.grade !== state.grade) return false;
    if (state.flagged && !r.flagged) return false;
    if (state.decided === "yes" && !decisions.has(r.row)) return false;
    if (state.decided === "no" && decisions.has(r.row)) return false;
    return true;
  }
  function sortKey(i) {
    const v = value(rows[i], state.sort);
    return v === null || v === undefined ? "" : v;
  }
  const collator = new Intl.Collator(undefined, { numeric: true }); // far quicker than localeCompare
  function computeView() {
    const q = state.q.toLowerCase();
    const next = [];
    for (let i = 0; i < rows.length; i++) if (matches(rows[i], i, q)) next.push(i);
    if (state.sort !== "issue_rank" || state.desc) {
      const keys = new Map(next.map((i) => [i, sortKey(i)]));
      next.sort((a, b) => {
        const x = keys.get(a), y = keys.get(b);
        let c;
        if (x === "" || y === "") c = (x === "") - (y === ""); // empty last, whatever the order
        else c = typeof x === "number" && typeof y === "number" ? x - y : collator.compare(String(x), String(y));
        if (state.desc && x !== "" && y !== "") c = -c;
        return c || a - b;
      });
    }
    view = next;
    where.fill(-1);
    view.forEach((i, at) => (where[i] = at));
  }

  // ---- rendering: only the rows in view ------------------------------------------------------
  function cell(r, key) {
    const td = document.createElement("td");
    if (key === "image") {
      if (r.image) {
        const img = document.createElement("img");
        img.src = r.image;
        img.alt = r.image_name;
        td.appendChild(img);
      } else td.textContent = r.image_name || "";
      return td;
    }
    const v = value(r, key);
    td.textContent = typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : (v ?? "");
    if (typeof v === "number") td.className = "num";
    if (key === "grade" && v) td.className = "grade-" + v;
    if (key === "decision" && v) td.className = "d-" + decisions.get(r.row).decision;
    if (key === "text" || key === "explanation") td.title = String(v ?? "");
    return td;
  }
  function gap(height) {
    const tr = document.createElement("tr");
    tr.className = "gap";
    const td = document.createElement("td");
    td.colSpan = columns.length;
    td.style.height = height + "px";
    tr.appendChild(td);
    return tr;
  }
  function paint() {
    const head = thead.offsetHeight;
    const top = Math.max(0, scroller.scrollTop - head);
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(view.length, Math.ceil((top + scroller.clientHeight) / rowHeight) + OVERSCAN);
    const out = [];
    if (first > 0) out.push(gap(first * rowHeight));
    for (let at = first; at < last; at++) {
      const i = view[at];
      const r = rows[i];
      const tr = document.createElement("tr");
      tr.className = "r";
      tr.dataset.row = r.row;
      tr.dataset.pos = i;
      tr.setAttribute("aria-selected", i === selected ? "true" : "false");
      columns.forEach(([key]) => tr.appendChild(cell(r, key)));
      out.push(tr);
    }
    if (last < view.length) out.push(gap((view.length - last) * rowHeight));
    tbody.replaceChildren(...out);
    if (!calibrated) calibrate();
  }
  let calibrated = false;
  function calibrate() {
    // The stylesheet's row height as this browser lays it out, measured once over the rows drawn.
    const drawn = tbody.querySelectorAll("tr.r");
    if (drawn.length < 2) return;
    calibrated = true;
    const first = drawn[0].getBoundingClientRect();
    const last = drawn[drawn.length - 1].getBoundingClientRect();
    const measured = (last.bottom - first.top) / drawn.length;
    if (measured > 0 && Math.abs(measured - rowHeight) > 0.01) {
      rowHeight = measured;
      paint();
    }
  }
  function counts() {
    $("count").textContent = view.length + " of " + rows.length + " rows";
    $("decided-count").textContent = decisions.size + " decided";
    thead.querySelectorAll("th").forEach((th) => {
      th.classList.toggle("sorted", th.dataset.key === state.sort);
      th.classList.toggle("desc", th.dataset.key === state.sort && state.desc);
    });
  }
  function update() {
    computeView();
    if (selected < 0 || where[selected] < 0) selected = view.length ? view[0] : -1;
    counts();
    paint();
    detail();
  }

  // ---- the selected row, beside the table ----------------------------------------------------
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function bar(label, p, cls) {
    const line = el("div", undefined, "prob " + cls);
    const track = el("div", undefined, "track");
    const fill = el("div", undefined, "fill");
    fill.style.width = (100 * Math.max(0, Math.min(1, p))).toFixed(1) + "%";
    track.appendChild(fill);
    line.append(el("span", label), track, el("span", p.toFixed(3), "value"));
    return line;
  }
  function detail() {
    const box = $("detail");
    if (selected < 0) { box.replaceChildren(el("p", "No row matches the filters.", "meta")); return; }
    const r = rows[selected];
    const parts = [el("h3", "row " + r.row + (data.has_id ? " · " + r.id : ""))];
    const dl = el("dl");
    const pair = (k, v) => dl.append(el("dt", k), el("dd", v));
    const withIndex = (v) => (Array.isArray(v) ? labelText(v) : name(v) + " (" + v + ")");
    pair("given", withIndex(r.given));
    pair("suggested", withIndex(r.suggested));
    pair("flagged", r.flagged ? "yes, rank " + r.issue_rank : "no");
    if (r.grade) pair("grade", r.grade + (r.evidence ? " (" + r.evidence + ")" : ""));
    if (canDecide) pair("decision", decisionText(decisions.get(r.row)) || "undecided");
    parts.push(dl);
    if (r.explanation) parts.push(el("p", r.explanation, "explanation"));
    const probs = el("div", undefined, "probs");
    if (typeof r.given_prob === "number") probs.append(bar("P(" + name(r.given) + ") given", r.given_prob, "given"));
    if (typeof r.suggestion_confidence === "number" && (r.suggested !== r.given || typeof r.given_prob !== "number"))
      probs.append(bar("P(" + name(r.suggested) + ") suggested", r.suggestion_confidence, "suggested"));
    if (typeof r.label_quality === "number") probs.append(bar("label quality", r.label_quality, "quality"));
    parts.push(probs);
    if (r.image) {
      const img = el("img");
      img.src = r.image;
      img.alt = r.image_name;
      parts.push(img);
    } else if (r.image_name) parts.push(el("p", r.image_name, "meta"));
    if (data.has_text) parts.push(el("div", r.text ?? "", "text"));
    box.replaceChildren(...parts);
  }

  // ---- selection and decisions ---------------------------------------------------------------
  function select(i) {
    selected = i;
    if (i >= 0 && where[i] >= 0) {
      const head = thead.offsetHeight;
      const top = where[i] * rowHeight;
      const visible = scroller.clientHeight - head;
      if (top < scroller.scrollTop) scroller.scrollTop = top;
      else if (top + rowHeight > scroller.scrollTop + visible) scroller.scrollTop = top + rowHeight - visible;
    }
    paint();
    detail();
  }
  function move(step) {
    if (!view.length) return;
    const at = selected >= 0 && where[selected] >= 0 ? where[selected] : -1;
    select(view[Math.max(0, Math.min(view.length - 1, at + step))]);
  }
  function decide(kind, label) {
    if (!canDecide) { say("Decisions are for single-label reports; this one is multi-label."); return; }
    if (selected < 0) return;
    const r = rows[selected];
    let newLabel = kind === "accept" ? r.suggested : label;
    if (kind === "relabel" && (newLabel < 0 || newLabel >= classes.length)) {
      say("No class " + newLabel + ": the classes are 0–" + (classes.length - 1) + " (/ searches them).");
      return;
    }
    if (newLabel === r.given) kind = "keep"; // choosing the given label keeps it
    if (kind === "keep") newLabel = null;
    undo.push({ row: r.row, position: selected, before: decisions.get(r.row) || null });
    decisions.set(r.row, { decision: kind, new_label: newLabel, given_label: r.given, id: data.has_id ? r.id : null });
    save();
    say("");
    const at = where[selected];
    const next = at + 1 < view.length ? view[at + 1] : selected;
    update();
    select(where[next] >= 0 ? next : view[Math.min(at, view.length - 1)] ?? -1);
  }
  function undoLast() {
    const last = undo.pop();
    if (!last) { say("Nothing to undo."); return; }
    if (last.before) decisions.set(last.row, last.before);
    else decisions.delete(last.row);
    save();
    say("Undid row " + last.row + ".");
    update();
    select(where[last.position] >= 0 ? last.position : selected);
  }

  // ---- decisions.csv -------------------------------------------------------------------------
  function csvField(v) {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function decisionsCsv() {
    const lines = ["row,id,given_label,decision,new_label"];
    [...decisions.keys()].sort((a, b) => a - b).forEach((row) => {
      const d = decisions.get(row);
      lines.push([row, d.id, d.given_label, d.decision, d.new_label].map(csvField).join(","));
    });
    return lines.join("\n") + "\n";
  }
  function download() {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([decisionsCsv()], { type: "text/csv" }));
    link.download = "decisions.csv";
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  }

  // ---- dialogs and keys ----------------------------------------------------------------------
  function say(text) { $("status").textContent = text; }
  function toggle(dialog, open) {
    dialog.hidden = open === undefined ? !dialog.hidden : !open;
  }
  let choices = [];
  let choice = 0;
  function searchClasses() {
    const q = $("class-query").value.trim().toLowerCase();
    choices = [];
    classes.forEach((c, k) => {
      if (!q || String(k).startsWith(q) || c.toLowerCase().includes(q)) choices.push(k);
    });
    choices.sort((a, b) => (String(b) === q) - (String(a) === q) || (classes[b].toLowerCase() === q) - (classes[a].toLowerCase() === q) || a - b);
    choice = 0;
    drawChoices();
  }
  function drawChoices() {
    const items = choices.slice(0, 100).map((k, n) => {
      const li = el("li", k + " · " + classes[k]);
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", n === choice ? "true" : "false");
      li.addEventListener("click", () => pick(k));
      return li;
    });
    if (choices.length > 100) items.push(el("li", "… " + (choices.length - 100) + " more: type more", "meta"));
    if (!choices.length) items.push(el("li", "no class matches", "meta"));
    $("class-options").replaceChildren(...items);
  }
  function openSearch() {
    if (!canDecide || selected < 0) { decide("relabel", -1); return; }
    toggle($("class-search"), true);
    $("class-query").value = "";
    searchClasses();
    $("class-query").focus();
  }
  function closeSearch() {
    toggle($("class-search"), false);
    $("class-query").blur();
  }
  function pick(k) {
    closeSearch();
    if (k !== undefined) decide("relabel", k);
  }
  $("class-query").addEventListener("input", searchClasses);
  $("class-query").addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); closeSearch(); }
    else if (e.key === "Enter") { e.preventDefault(); if (choices.length) pick(choices[choice]); }
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      choice = Math.max(0, Math.min(Math.min(choices.length, 100) - 1, choice + (e.key === "ArrowDown" ? 1 : -1)));
      drawChoices();
    }
    e.stopPropagation();
  });
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(e.target.tagName);
    if (typing) {
      if (e.key === "Escape") e.target.blur();
      if (e.target.tagName !== "BUTTON" || e.key === "Enter" || e.key === " ") return;
    }
    const key = e.key;
    if (key === "j" || key === "ArrowDown") move(1);
    else if (key === "k" || key === "ArrowUp") move(-1);
    else if (key === "a") decide("accept");
    else if (key === "x") decide("keep");
    else if (/^[0-9]$/.test(key)) decide("relabel", Number(key));
    else if (key === "/") openSearch();
    else if (key === "u") undoLast();
    else if (key === "?") toggle($("help"));
    else if (key === "Escape") toggle($("help"), false);
    else return;
    e.preventDefault();
  });
  tbody.addEventListener("click", (e) => {
    const tr = e.target.closest("tr.r");
    if (tr) select(Number(tr.dataset.pos));
  });
  let pending = false;
  scroller.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; paint(); });
  });
  window.addEventListener("resize", () => paint());

  // ---- start: the first flagged row in view is selected --------------------------------------
  setUpControls();
  if (!storageOk) say("This browser does not keep decisions: download them before leaving.");
  computeView();
  const firstFlagged = view.find((i) => rows[i].flagged);
  selected = firstFlagged !== undefined ? firstFlagged : view.length ? view[0] : -1;
  counts();
  select(selected);
  scroller.focus({ preventScroll: true });
  document.body.dataset.ready = "1";
  performance.mark("labelaudit-ready");
})();
