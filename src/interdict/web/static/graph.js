// Entity graph view: the neighbourhood of one entity (links the user may see) drawn with
// Cytoscape.js, and a path finder whose every step shows its statements' source and grade.
(function () {
  "use strict";
  const box = document.getElementById("graph");
  if (!box || typeof cytoscape === "undefined") return;
  const center = box.dataset.entity;
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
  const info = document.createElement("div");
  info.className = "muted";
  info.setAttribute("data-testid", "graph-info");
  box.after(info);
  let cy = null;

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function describe(edge) {
    return `${esc(edge.prop)} — ${esc(edge.source || "no source")}, grade ${esc(edge.grade)}, TLP:${esc(edge.marking && edge.marking.tlp)} (${esc(edge.agency)})`;
  }

  async function load(depth) {
    const response = await fetch(`/api/graph/neighbours/${encodeURIComponent(center)}?depth=${depth}`);
    if (!response.ok) {
      box.style.display = "none";
      info.textContent = "No links you may see.";
      return;
    }
    const data = await response.json();
    box.style.display = "";
    const elements = data.nodes.map((n) => ({
      data: { id: n.id, label: n.caption, schema: n.schema || "", color: palette[n.community % palette.length], center: n.id === center ? 1 : 0 },
    }));
    data.edges.forEach((e, i) => elements.push({ data: { id: `e${i}`, source: e.from, target: e.to, label: e.prop, text: describe(e) } }));
    if (cy) cy.destroy();
    cy = cytoscape({
      container: box,
      elements: elements,
      style: [
        { selector: "node", style: { label: "data(label)", "font-size": 10, "background-color": "data(color)", "text-wrap": "ellipsis", "text-max-width": 140, width: 18, height: 18 } },
        { selector: "node[center = 1]", style: { width: 30, height: 30, "border-width": 3, "border-color": "#000", "font-weight": "bold" } },
        { selector: "edge", style: { width: 1.5, "line-color": "#99a", "curve-style": "bezier", label: "data(label)", "font-size": 8, color: "#556" } },
        { selector: ".on-path", style: { "line-color": "#d62728", "background-color": "#d62728", width: 4 } },
      ],
      layout: { name: "cose", animate: false, randomize: false },
    });
    cy.on("tap", "node", (event) => { window.location.href = `/entities/${encodeURIComponent(event.target.id())}`; });
    cy.on("mouseover", "edge", (event) => { info.innerHTML = event.target.data("text"); });
    cy.on("mouseover", "node", (event) => { info.textContent = `${event.target.data("label")} (${event.target.data("schema")})`; });
    info.textContent = `${data.nodes.length} entities, ${data.edges.length} links within depth ${depth}.`;
  }

  const depth = document.getElementById("graph-depth");
  depth.addEventListener("change", () => load(depth.value));
  load(depth.value);

  const form = document.getElementById("path-form");
  const result = document.getElementById("path-result");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const to = document.getElementById("path-to").value;
    const button = form.querySelector("button[type=submit]");
    result.setAttribute("aria-busy", "true");
    result.innerHTML = `<p class="muted" data-testid="path-loading">Looking for the shortest chain of links you may see…</p>`;
    if (button) button.disabled = true;
    let response, data;
    try {
      response = await fetch(`/api/graph/path?from=${encodeURIComponent(center)}&to=${encodeURIComponent(to)}`);
      data = await response.json();
    } catch (err) {
      result.innerHTML = `<p class="error">Could not ask the node: ${esc(String(err))}</p>`;
      return;
    } finally {
      result.removeAttribute("aria-busy");
      if (button) button.disabled = false;
    }
    if (!response.ok) {
      result.innerHTML = `<p class="error">${esc(data.detail)}</p>`;
      return;
    }
    if (!data.found) {
      result.innerHTML = `<p>${esc(data.text)}</p>`;
      return;
    }
    const steps = data.steps.map((s) => `<li><a href="/entities/${encodeURIComponent(s.from.id)}">${esc(s.from.caption)}</a> → <a href="/entities/${encodeURIComponent(s.to.id)}">${esc(s.to.caption)}</a><ul>${
      s.statements.map((st) => `<li>${describe(st)}</li>`).join("")}</ul></li>`).join("");
    result.innerHTML = `<p><strong>${data.length} step${data.length === 1 ? "" : "s"}</strong> (highest marking ${esc(data.banner)}): ${esc(data.text)}</p><ol>${steps}</ol>`;
    if (cy) {
      cy.elements().removeClass("on-path");
      data.steps.forEach((s) => {
        cy.getElementById(s.from.id).addClass("on-path");
        cy.getElementById(s.to.id).addClass("on-path");
        cy.edges().filter((e) => (e.data("source") === s.from.id && e.data("target") === s.to.id) || (e.data("source") === s.to.id && e.data("target") === s.from.id)).addClass("on-path");
      });
    }
  });
})();
