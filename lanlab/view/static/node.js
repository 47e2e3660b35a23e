// The node panel: addresses, routes, neighbours, listening sockets, lease (GET /api/node/NAME)
// and a terminal with a shell in the node (xterm.js over WS /api/term/NAME).
"use strict";
(function () {
  const lanlab = window.lanlab;
  const $ = (id) => document.getElementById(id);
  let term = null, socket = null;
  lanlab.termText = "";

  function closeNode() {
    if (socket) { socket.onclose = null; socket.close(); socket = null; }
    if (term) { (term.dispose || term.destroy).call(term); term = null; }
    $("terminal").innerHTML = "";
    $("node-panel").hidden = true;
    document.querySelectorAll("#map .node.selected").forEach((g) => g.classList.remove("selected"));
  }

  async function openNode(name) {
    closeNode();
    const panel = $("node-panel");
    panel.hidden = false;
    panel.dataset.nodePanel = name;
    $("node-title").textContent = name;
    const g = document.querySelector(`#map [data-node="${CSS.escape(name)}"]`);
    if (g) g.classList.add("selected");
    $("node-body").textContent = "asking the node…";
    const answer = await (await fetch(`/api/node/${encodeURIComponent(name)}`)).json();
    showInfo(answer);
    if (answer.running) openTerminal(name);
  }

  function showInfo(answer) {
    const body = $("node-body");
    body.innerHTML = "";
    const lease = document.createElement("div");
    lease.dataset.section = "lease";
    lease.textContent = `lease: ${answer.lease || "none"}`;
    body.appendChild(lease);
    if (!answer.info) { body.appendChild(document.createTextNode(answer.error || "")); return; }
    for (const [title, text] of Object.entries(answer.info)) {
      const h = document.createElement("b");
      h.textContent = title;
      const pre = document.createElement("pre");
      pre.dataset.section = title;
      pre.textContent = text;
      body.append(h, pre);
    }
  }

  function openTerminal(name) {
    term = new Terminal({cols: 100, rows: 15, fontSize: 12});
    term.open($("terminal"));
    lanlab.termText = "";
    socket = new WebSocket(`ws://${location.host}/api/term/${encodeURIComponent(name)}`);
    socket.onopen = () => socket.send(JSON.stringify({resize: [term.cols, term.rows]}));
    socket.onmessage = (e) => { lanlab.termText += e.data; term.write(e.data); };
    socket.onclose = () => term && term.write("\r\n[the shell ended]\r\n");
    term.on("data", (data) => socket && socket.readyState === 1 && socket.send(JSON.stringify({data})));
    term.focus();
  }

  $("node-close").addEventListener("click", closeNode);
  lanlab.listeners.push({node: openNode});
  window.addEventListener("beforeunload", closeNode);
})();
