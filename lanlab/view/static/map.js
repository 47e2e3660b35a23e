// The map: every network, router, service and host of the running lab, kept live
// from WS /api/live. Other scripts use window.lanlab (positions, animate, events).
"use strict";
const SVGNS = "http://www.w3.org/2000/svg";
const lanlab = window.lanlab = {state: null, pos: {}, bus: {}, listeners: [], shape: ""};
const BOX_W = 420, PER_ROW = 5, STEP_X = 80, STEP_Y = 54, TOP = 120;

function el(name, attrs, parent) {
  const e = document.createElementNS(SVGNS, name);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function address(node, network, leases) {
  if (node.role === "host" && leases[node.name]) return leases[node.name];
  const i = node.interfaces.find((i) => i.network === network) || node.interfaces[0];
  return i ? i.docker_ip : "";
}

function layout(lab) {
  const nets = Object.keys(lab.networks).sort();
  const routers = Object.values(lab.nodes).filter((n) => n.role === "router" || n.interfaces.length > 1);
  const members = {};
  nets.forEach((n) => (members[n] = []));
  for (const node of Object.values(lab.nodes)) {
    if (routers.includes(node)) continue;
    const net = (node.interfaces[0] || {}).network;
    (members[net] || (members[net] = [])).push(node);
  }
  const cols = Math.min(4, Math.max(1, Math.ceil(Math.sqrt(nets.length))));
  const boxes = {};
  let y = TOP, rowHeight = 0;
  nets.forEach((net, i) => {
    const col = i % cols;
    if (col === 0 && i > 0) { y += rowHeight + 30; rowHeight = 0; }
    const rows = Math.max(1, Math.ceil(members[net].length / PER_ROW));
    const h = 50 + rows * STEP_Y;
    boxes[net] = {x: 20 + col * (BOX_W + 30), y, w: BOX_W, h};
    rowHeight = Math.max(rowHeight, h);
  });
  const width = 40 + cols * (BOX_W + 30), height = y + rowHeight + 30;
  return {nets, routers, members, boxes, width, height};
}

function drawMap(state) {
  const lab = state.lab, svg = document.getElementById("map");
  const plan = layout(lab);
  svg.innerHTML = "";
  svg.setAttribute("width", plan.width);
  svg.setAttribute("height", plan.height);
  lanlab.pos = {}; lanlab.bus = {};
  const links = el("g", {class: "links"}, svg);
  plan.routers.forEach((r, i) => {
    lanlab.pos[r.name] = {x: plan.width / 2 + (i - (plan.routers.length - 1) / 2) * 120, y: 45};
  });
  for (const net of plan.nets) {
    const b = plan.boxes[net], info = lab.networks[net];
    const g = el("g", {class: `net ${info.kind}`, "data-network": net}, svg);
    el("rect", {x: b.x, y: b.y, width: b.w, height: b.h, rx: 8}, g);
    el("text", {class: "title", x: b.x + 8, y: b.y + 16}, g).textContent =
      `${net}  ${info.subnet}${info.kind === "hub" ? "  (hub)" : ""}`;
    lanlab.bus[net] = {x: b.x + b.w / 2, y: b.y};
    plan.members[net].forEach((node, k) => {
      lanlab.pos[node.name] = {x: b.x + 45 + (k % PER_ROW) * STEP_X, y: b.y + 48 + Math.floor(k / PER_ROW) * STEP_Y};
    });
    for (const r of plan.routers) {
      if (r.interfaces.some((i) => i.network === net)) {
        const p = lanlab.pos[r.name];
        el("line", {class: "uplink", x1: p.x, y1: p.y, x2: b.x + b.w / 2, y2: b.y, "data-uplink": `${r.name} ${net}`}, links);
      }
    }
  }
  for (const node of Object.values(lab.nodes)) drawNode(svg, node, plan);
  lanlab.packets = el("g", {class: "packets"}, svg);
  updateNodes(state);
}

function drawNode(svg, node, plan) {
  const p = lanlab.pos[node.name];
  if (!p) return;
  const g = el("g", {class: `node ${node.role}`, "data-node": node.name, transform: `translate(${p.x},${p.y})`}, svg);
  el("circle", {r: 14}, g);
  el("text", {y: 4}, g).textContent = node.name.length > 7 ? node.name.slice(0, 7) : node.name;
  el("text", {class: "addr", y: 27}, g);
  el("title", {}, g);
  g.addEventListener("click", () => lanlab.listeners.forEach((f) => f.node && f.node(node.name)));
}

function updateNodes(state) {
  const lab = state.lab;
  for (const node of Object.values(lab.nodes)) {
    const g = document.querySelector(`#map [data-node="${CSS.escape(node.name)}"]`);
    if (!g) continue;
    g.classList.toggle("down", !node.running);
    g.classList.toggle("unhealthy", node.running && node.health === "unhealthy");
    g.dataset.running = node.running ? "yes" : "no";
    g.dataset.health = node.health;
    const addrs = node.interfaces.map((i) => `${i.network} ${address(node, i.network, state.leases)}  ${i.mac}`);
    const first = node.interfaces[0];
    g.querySelector("text.addr").textContent =
      node.role === "router" ? "" : (first ? address(node, first.network, state.leases) : "");
    g.querySelector("title").textContent =
      `${node.name} (${node.role}) ${node.running ? node.health : "stopped"}\n${addrs.join("\n")}`;
  }
}

function shapeOf(lab) {
  const nodes = Object.values(lab.nodes).map((n) => n.name + ":" + n.interfaces.map((i) => i.network).join(","));
  return Object.keys(lab.networks).sort().join(" ") + "|" + nodes.sort().join(" ");
}

function setStatus(kind, text) {
  const s = document.getElementById("status");
  s.dataset.status = kind;
  s.textContent = text;
  const banner = document.getElementById("banner");
  banner.hidden = kind === "up";
  banner.textContent = {down: `lab '${lanlab.project}' is down: waiting for it to come back (make up)`,
                        gone: "the view server does not answer (make view stopped?): retrying"}[kind] || "";
}

function onLab(state) {
  lanlab.state = state;
  lanlab.project = state.lab.project;
  document.getElementById("project").textContent = state.lab.project;
  const shape = shapeOf(state.lab);
  if (shape !== lanlab.shape && Object.keys(state.lab.nodes).length) {
    lanlab.shape = shape;
    drawMap(state);
    lanlab.mapReadyAt = performance.now();
    document.getElementById("map").dataset.ready = "yes";
  } else {
    updateNodes(state);
  }
  setStatus(state.up ? "up" : "down", state.up ? "lab up" : "lab down");
  lanlab.listeners.forEach((f) => f.lab && f.lab(state));
}

function connectLive() {
  const ws = new WebSocket(`ws://${location.host}/api/live`);
  ws.onmessage = (e) => onLab(JSON.parse(e.data));
  ws.onclose = () => { setStatus("gone", "no server"); setTimeout(connectLive, 1000); };
}

// A packet along its hop: sender -> its network -> receiver (a broadcast spreads on the network).
lanlab.animate = function (frame) {
  const from = lanlab.pos[frame.src_node], bus = lanlab.bus[frame.network];
  if (!lanlab.packets || !bus) return;
  const to = frame.dst_node && frame.dst_node !== "*" ? lanlab.pos[frame.dst_node] : null;
  if (lanlab.packets.childElementCount > 80) return;
  const start = from || bus, points = [start, bus, to || bus];
  const dot = el(to ? "circle" : "circle", {class: to ? "packet" : "packet broadcast", r: 5, "data-frame": frame.id}, lanlab.packets);
  const began = performance.now(), span = 700;
  function step(now) {
    const f = Math.min(1, (now - began) / span);
    const [a, b, k] = f < 0.5 ? [points[0], points[1], f * 2] : [points[1], points[2], f * 2 - 1];
    dot.setAttribute("cx", a.x + (b.x - a.x) * k);
    dot.setAttribute("cy", a.y + (b.y - a.y) * k);
    if (!to && f >= 0.5) dot.setAttribute("r", 5 + 40 * (f - 0.5));
    if (f < 1) requestAnimationFrame(step); else dot.remove();
  }
  requestAnimationFrame(step);
};

connectLive();
