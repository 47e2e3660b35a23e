// Frames from WS /api/frames (docs/wire.md's JSON): the list, the filter, pause / step /
// replay, a frame's layers, and the ladder of the selected conversation.
"use strict";
(function () {
  const lanlab = window.lanlab;
  const KEEP_SECONDS = 60, KEEP_MAX = 3000, ROWS = 300, PER_PAINT = 8, WAITING_MAX = 400;
  const waiting = [];         // frames to draw, a few per screen refresh (a flood never freezes the page)
  let undrawn = 0;
  const recent = [];          // the last minute, for replay and the ladder
  const held = [];            // frames that came while paused
  let paused = false, replaying = false, selected = null, socket = null;
  lanlab.latencies = [];
  lanlab.shown = [];

  const $ = (id) => document.getElementById(id);

  function matches(frame) {
    const proto = $("f-proto").value, node = $("f-node").value.trim();
    if (proto && frame.proto !== proto) return false;
    if (node && frame.src_node !== node && frame.dst_node !== node) return false;
    return true;
  }

  function keep(frame) {
    recent.push(frame);
    while (recent.length > KEEP_MAX || (recent.length && recent[0].time < frame.time - KEEP_SECONDS)) recent.shift();
  }

  function show(frame) {
    if (!matches(frame)) return;
    lanlab.shown.push({id: frame.id, network: frame.network, src: frame.src_node, dst: frame.dst_node, proto: frame.proto});
    if (lanlab.shown.length > 2000) lanlab.shown.splice(0, 1000);
    const body = document.querySelector("#frames tbody");
    const row = document.createElement("tr");
    row.dataset.frame = frame.id;
    row.dataset.network = frame.network;
    row.dataset.proto = frame.proto;
    row.dataset.src = frame.src_node || "";
    row.dataset.dst = frame.dst_node || "";
    row.dataset.dstIp = frame.dst_ip || "";
    row.dataset.hop = frame.hop == null ? "" : frame.hop;
    if (frame.replay) row.classList.add("replay");
    const when = new Date(frame.time * 1000).toISOString().slice(11, 23);
    for (const text of [when, frame.network, `${frame.src_node || frame.src_mac} → ${frame.dst_node || frame.dst_mac}`,
                        frame.proto, frame.summary]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.appendChild(cell);
    }
    row.addEventListener("click", () => select(frame, row));
    body.appendChild(row);
    while (body.childElementCount > ROWS) body.removeChild(body.firstChild);
    lanlab.animate(frame);
  }

  function paint() {
    const batch = waiting.splice(0, PER_PAINT);
    batch.forEach(show);
    if (batch.length) {
      const pane = $("frames-pane");
      pane.scrollTop = pane.scrollHeight;
    }
    if (undrawn) { $("held").textContent = `${undrawn} frames came faster than they can be drawn`; }
    requestAnimationFrame(paint);
  }
  requestAnimationFrame(paint);

  function onMessage(message) {
    if (message.kind === "frame") {
      message.received = Date.now() / 1000;
      if (!message.replay) {
        lanlab.latencies.push(message.received - message.time);
        if (lanlab.latencies.length > 5000) lanlab.latencies.splice(0, 2500);
        keep(message);
      }
      if (paused || replaying) { if (!message.replay) { held.push(message); if (held.length > KEEP_MAX) held.shift(); } updateHeld(); }
      else if (waiting.length < WAITING_MAX) waiting.push(message);
      else undrawn++;
    } else if (message.kind === "count") {
      const line = `${message.network} ${message.src} → ${message.dst}: ${message.dropped} frames in ${message.seconds} s counted, not drawn`;
      $("counts").textContent = line;
      $("counts").dataset.dropped = message.dropped;
    } else if (message.kind === "capture") {
      $("capture").textContent = `capture: ${message.state}${message.filter ? " (" + message.filter + ")" : ""}` +
        (message.message ? ": " + message.message : "");
      $("capture").dataset.state = message.state;
    }
  }

  function updateHeld() {
    $("held").textContent = held.length ? `${held.length} held` : "";
    $("b-step").disabled = !paused || !held.length;
  }

  function select(frame, row) {
    document.querySelectorAll("#frames tr.selected").forEach((r) => r.classList.remove("selected"));
    row.classList.add("selected");
    selected = frame;
    showLayers(frame);
    showLadder(frame);
  }

  function showLayers(frame) {
    $("layers").hidden = false;
    $("layers-title").textContent = `${frame.id}: ${frame.network} ${frame.summary}`;
    const body = $("layers-body");
    body.innerHTML = "";
    for (const layer of frame.layers || []) {
      const box = document.createElement("div");
      box.className = "layer";
      box.dataset.layer = layer.name;
      const title = document.createElement("b");
      title.textContent = layer.name;
      box.appendChild(title);
      const table = document.createElement("table");
      const fields = Array.isArray(layer.fields) ? layer.fields : Object.entries(layer.fields || {});
      for (const [name, value] of fields) {
        const tr = table.insertRow();
        tr.insertCell().textContent = name;
        tr.insertCell().textContent = typeof value === "object" ? JSON.stringify(value) : String(value);
      }
      box.appendChild(table);
      body.appendChild(box);
    }
  }

  function conversation(frame) {
    if (frame.src_ip && frame.dst_ip) {
      const pair = [frame.src_ip, frame.dst_ip].sort().join(" ");
      return (f) => f.src_ip && f.dst_ip && [f.src_ip, f.dst_ip].sort().join(" ") === pair;
    }
    const pair = [frame.src_node, frame.dst_node].sort().join(" ");
    return (f) => [f.src_node, f.dst_node].sort().join(" ") === pair;
  }

  function showLadder(frame) {
    const rows = recent.filter(conversation(frame)).slice(-40);
    const columns = [];
    for (const f of rows) for (const n of [f.src_node, f.dst_node]) if (n && n !== "*" && !columns.includes(n)) columns.push(n);
    const svg = $("ladder"), width = 120 * Math.max(columns.length, 2) + 220, t0 = rows.length ? rows[0].time : 0;
    svg.innerHTML = "";
    svg.setAttribute("width", width);
    svg.setAttribute("height", 30 + rows.length * 24);
    const x = (n) => 60 + 120 * columns.indexOf(n);
    const add = (name, attrs, text) => {
      const e = document.createElementNS("http://www.w3.org/2000/svg", name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.appendChild(e);
      return e;
    };
    columns.forEach((n) => {
      add("text", {x: x(n), y: 12, "text-anchor": "middle", "data-column": n}, n);
      add("line", {x1: x(n), y1: 16, x2: x(n), y2: 30 + rows.length * 24, stroke: "#aab"});
    });
    rows.forEach((f, i) => {
      const y = 32 + i * 24, a = x(f.src_node), b = f.dst_node === "*" ? x(columns[columns.length - 1]) + 40 : x(f.dst_node);
      add("line", {x1: a, y1: y, x2: b, y2: y, stroke: f.id === frame.id ? "#d3259f" : "#34446b", "stroke-width": 2, "data-frame": f.id});
      add("text", {x: Math.min(a, b) + 4, y: y - 3},
          `+${(f.time - t0).toFixed(3)} ${f.network} ${f.summary}${f.ttl != null ? " ttl " + f.ttl : ""}`);
    });
    $("ladder-title").textContent = `${rows.length} frames`;
    $("ladder-pane").hidden = false;
  }

  async function replay() {
    if (replaying) return;
    replaying = true;
    const frames = recent.slice(), first = frames.length ? frames[0].time : 0;
    const started = performance.now();
    for (const f of frames) {
      const wait = Math.min((f.time - first) * 1000 - (performance.now() - started), 1000);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      show({...f, replay: true});
    }
    replaying = false;
    if (!paused) waiting.push(...held.splice(0).slice(-WAITING_MAX));
    updateHeld();
  }

  function connect() {
    socket = new WebSocket(`ws://${location.host}/api/frames`);
    socket.onmessage = (e) => onMessage(JSON.parse(e.data));
    socket.onclose = () => setTimeout(connect, 1000);
  }

  $("b-pause").addEventListener("click", () => {
    paused = !paused;
    $("b-pause").textContent = paused ? "play" : "pause";
    if (!paused) waiting.push(...held.splice(0).slice(-WAITING_MAX));
    updateHeld();
  });
  $("b-step").addEventListener("click", () => { if (held.length) show(held.shift()); updateHeld(); });
  $("b-replay").addEventListener("click", replay);
  $("b-bpf").addEventListener("click", () => socket && socket.send(JSON.stringify({filter: $("f-bpf").value})));
  lanlab.listeners.push({lab: (state) => showLinks(state)});

  function showLinks(state) {
    const body = $("links-body");
    body.innerHTML = "";
    for (const [name, net] of Object.entries(state.lab.networks)) {
      const line = document.createElement("div");
      line.dataset.link = name;
      line.textContent = `${name}: ${net.kind} on ${net.bridge}; conditions: ${(state.links || {})[name] || "clear"} (make link)`;
      body.appendChild(line);
    }
  }
  connect();
})();
