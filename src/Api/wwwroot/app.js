// SnnServe demo page: plain ES module, no dependencies, talks to the server it was served from.
const $ = (id) => document.getElementById(id);
const SIZE = 28;
const SCALE = 10;
const pixels = new Float32Array(SIZE * SIZE);
const draw = $('draw');
const ctx = draw.getContext('2d');
const overlay = $('overlay').getContext('2d');
let attention = null;
let runId = 0;
let models = [];

function status(message, kind = 'error') {
  const box = $('status');
  box.hidden = !message;
  box.textContent = message || '';
  box.className = `status ${kind === 'info' ? 'info' : ''}`;
}

// ---- drawing -------------------------------------------------------------------------------
function render() {
  const image = ctx.createImageData(SIZE, SIZE);
  pixels.forEach((v, i) => {
    const g = Math.round(v * 255);
    image.data.set([g, g, g, 255], i * 4);
  });
  const small = document.createElement('canvas');
  small.width = SIZE;
  small.height = SIZE;
  small.getContext('2d').putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.clearRect(0, 0, draw.width, draw.height);
  ctx.drawImage(small, 0, 0, SIZE * SCALE, SIZE * SCALE);
  renderAttention();
}

function renderAttention() {
  overlay.clearRect(0, 0, SIZE * SCALE, SIZE * SCALE);
  if (!attention || !$('show-attention').checked) return;
  const cellW = (SIZE * SCALE) / attention.width;
  const cellH = (SIZE * SCALE) / attention.height;
  attention.values.forEach((a, i) => {
    overlay.fillStyle = `rgba(255, 140, 0, ${(0.55 * a).toFixed(3)})`;
    overlay.fillRect((i % attention.width) * cellW, Math.floor(i / attention.width) * cellH, cellW, cellH);
  });
}

// A soft round brush on the 28×28 grid.
function paint(x, y) {
  const cx = x / SCALE;
  const cy = y / SCALE;
  for (let py = Math.floor(cy - 2); py <= Math.ceil(cy + 2); py++) {
    for (let px = Math.floor(cx - 2); px <= Math.ceil(cx + 2); px++) {
      if (px < 0 || py < 0 || px >= SIZE || py >= SIZE) continue;
      const d = Math.hypot(px + 0.5 - cx, py + 0.5 - cy);
      const v = Math.max(0, Math.min(1, 1.6 - d));
      const i = py * SIZE + px;
      pixels[i] = Math.round(Math.max(pixels[i], v) * 1000) / 1000;
    }
  }
}

let drawing = false;
let last = null;
function point(event) {
  const r = draw.getBoundingClientRect();
  return [(event.clientX - r.left) * (draw.width / r.width), (event.clientY - r.top) * (draw.height / r.height)];
}
draw.addEventListener('pointerdown', (e) => {
  drawing = true;
  draw.setPointerCapture(e.pointerId);
  attention = null;
  last = point(e);
  paint(...last);
  render();
});
draw.addEventListener('pointermove', (e) => {
  if (!drawing) return;
  const p = point(e);
  const steps = Math.max(1, Math.ceil(Math.hypot(p[0] - last[0], p[1] - last[1]) / 3));
  for (let s = 1; s <= steps; s++) {
    paint(last[0] + ((p[0] - last[0]) * s) / steps, last[1] + ((p[1] - last[1]) * s) / steps);
  }
  last = p;
  render();
});
const finish = () => {
  if (!drawing) return;
  drawing = false;
  classify();
};
draw.addEventListener('pointerup', finish);
draw.addEventListener('pointercancel', finish);

$('clear').addEventListener('click', () => {
  pixels.fill(0);
  attention = null;
  document.querySelectorAll('.digits canvas').forEach((c) => c.classList.remove('selected'));
  render();
  resetCharts();
});
$('run').addEventListener('click', () => classify());
$('show-attention').addEventListener('change', renderAttention);
$('threshold').addEventListener('input', () => { $('threshold-value').textContent = $('threshold').value; });
['model', 'policy', 'max-timesteps', 'modulation'].forEach((id) => $(id).addEventListener('change', () => classify()));
$('threshold').addEventListener('change', () => classify());

// ---- test digits ---------------------------------------------------------------------------
async function loadDigits() {
  const response = await fetch('digits.json');
  if (!response.ok) throw new Error(`digits.json: HTTP ${response.status}`);
  const digits = await response.json();
  const strip = $('digits');
  digits.forEach((d, k) => {
    const c = document.createElement('canvas');
    c.width = SIZE;
    c.height = SIZE;
    c.className = d.difficulty;
    c.title = `label ${d.label} (${d.difficulty})`;
    c.dataset.index = String(k);
    const image = c.getContext('2d').createImageData(SIZE, SIZE);
    d.input.forEach((v, i) => image.data.set([v * 255, v * 255, v * 255, 255], i * 4));
    c.getContext('2d').putImageData(image, 0, 0);
    c.addEventListener('click', () => {
      document.querySelectorAll('.digits canvas').forEach((x) => x.classList.remove('selected'));
      c.classList.add('selected');
      pixels.set(d.input);
      attention = null;
      render();
      classify();
    });
    strip.appendChild(c);
  });
}

async function loadModels() {
  const response = await fetch('/v1/models/');
  if (!response.ok) throw new Error(`listing models: HTTP ${response.status}`);
  models = await response.json();
  const select = $('model');
  models.forEach((m) => {
    const option = document.createElement('option');
    option.value = m.name;
    option.textContent = `${m.name} (${m.platform === 'snn' ? `${m.encoder} SNN` : 'ANN'})`;
    select.appendChild(option);
  });
  const preferred = models.find((m) => m.name === 'mnist-alif') || models[0];
  if (preferred) {
    select.value = preferred.name;
    applyDefaults(preferred);
  }
  select.addEventListener('change', () => applyDefaults(models.find((m) => m.name === select.value)));
}

function applyDefaults(model) {
  if (!model) return;
  $('policy').value = model.exit_policy.kind === 'single_pass' ? 'max_probability' : model.exit_policy.kind;
  $('threshold').value = model.exit_policy.threshold;
  $('threshold-value').textContent = model.exit_policy.threshold;
  $('max-timesteps').value = model.exit_policy.max_timesteps;
  $('modulation').disabled = !model.scout;
}

// ---- classification over Server-Sent Events -------------------------------------------------
function options(forceFull) {
  const max = Number($('max-timesteps').value);
  const o = { policy: $('policy').value, threshold: Number($('threshold').value), max_timesteps: max, modulation: $('modulation').checked };
  if (forceFull) o.min_timesteps = max;
  return o;
}

async function post(path, body, signalId) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (e) {
    throw new Error(`The server is unreachable (${location.origin}): ${e.message}`);
  }
  if (!response.ok) {
    let detail = `HTTP ${response.status}`;
    try {
      const problem = await response.json();
      detail = `${problem.title || 'Error'}: ${problem.detail || detail}`;
    } catch { /* not JSON */ }
    throw new Error(detail);
  }
  if (signalId !== runId) return null;
  return response;
}

async function classify() {
  const id = ++runId;
  const model = $('model').value;
  if (!model) {
    status(models.length ? 'Pick a model first.' : 'The model list has not loaded yet; try again in a moment.', 'info');
    return;
  }
  if (!pixels.some((v) => v > 0)) {
    status('Draw a digit or pick one below first.', 'info');
    return;
  }
  status('');
  resetCharts();
  const input = Array.from(pixels);
  const history = [];
  try {
    const response = await post(`/v1/models/${encodeURIComponent(model)}/classify/stream`, { input, options: options(false) }, id);
    if (!response) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let result = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let split;
      while ((split = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null');
        if (id !== runId) return;
        if (name === 'timestep') {
          history.push(data);
          drawBars(data.probabilities, data.label);
          drawCurve(history);
          drawRaster(history);
        } else if (name === 'result') {
          result = data;
        } else if (name === 'error') {
          throw new Error(data.error);
        }
      }
    }
    if (!result) throw new Error('the stream ended without an answer');
    showAnswer(result);
    attention = result.attention;
    renderAttention();
    const full = await post(`/v1/models/${encodeURIComponent(model)}/classify`, { input, options: options(true) }, id);
    if (full) showCosts(result, await full.json());
  } catch (e) {
    if (id === runId) status(e.message);
  }
}

// ---- views ---------------------------------------------------------------------------------
const svgNs = 'http://www.w3.org/2000/svg';
function el(svg, tag, attrs, text) {
  const node = document.createElementNS(svgNs, tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  if (text !== undefined) node.textContent = text;
  svg.appendChild(node);
  return node;
}

function resetCharts() {
  ['bars', 'curve', 'raster'].forEach((id) => { $(id).innerHTML = ''; });
  $('answer').textContent = '…';
  $('costs').hidden = true;
}

function drawBars(probabilities, label) {
  const svg = $('bars');
  svg.innerHTML = '';
  const w = 300 / probabilities.length;
  probabilities.forEach((p, k) => {
    const h = p * 130;
    el(svg, 'rect', { x: k * w + 3, y: 140 - h, width: w - 6, height: h, fill: String(k) === String(label) ? '#2b6cd9' : '#9aa7bf', 'data-class': k });
    el(svg, 'text', { x: k * w + w / 2, y: 155, 'text-anchor': 'middle', 'font-size': 11 }, String(k));
  });
}

function drawCurve(history) {
  const svg = $('curve');
  svg.innerHTML = '';
  const max = Math.max(Number($('max-timesteps').value), history.length, 2);
  const x = (t) => 20 + ((t - 1) / (max - 1)) * 270;
  const y = (c) => 145 - c * 135;
  el(svg, 'line', { x1: 20, x2: 290, y1: y(Number($('threshold').value)), y2: y(Number($('threshold').value)), stroke: '#d9822b', 'stroke-dasharray': '5 4', class: 'threshold' });
  el(svg, 'polyline', { points: history.map((h) => `${x(h.timestep)},${y(h.confidence)}`).join(' '), fill: 'none', stroke: '#2b6cd9', 'stroke-width': 2, class: 'confidence' });
  history.forEach((h) => el(svg, 'circle', { cx: x(h.timestep), cy: y(h.confidence), r: 3.5, fill: h.would_exit ? '#1f9d55' : '#2b6cd9' }));
  el(svg, 'text', { x: 20, y: 158, 'font-size': 10 }, 't = 1');
  el(svg, 'text', { x: 290, y: 158, 'font-size': 10, 'text-anchor': 'end' }, `t = ${max}`);
}

// One row per layer, one column per timestep; darker = more spikes (scaled per layer).
function drawRaster(history) {
  const svg = $('raster');
  svg.innerHTML = '';
  const layers = history[0].layer_spikes.length;
  if (layers === 0) {
    el(svg, 'text', { x: 150, y: 80, 'text-anchor': 'middle', 'font-size': 12 }, 'single-pass model: no spikes');
    return;
  }
  const max = Math.max(Number($('max-timesteps').value), history.length);
  const cw = 250 / max;
  const rh = 140 / layers;
  for (let l = 0; l < layers; l++) {
    const peak = Math.max(1, ...history.map((h) => h.layer_spikes[l]));
    el(svg, 'text', { x: 2, y: l * rh + rh / 2 + 4, 'font-size': 9 }, `L${l + 1}`);
    history.forEach((h, t) => {
      const v = h.layer_spikes[l] / peak;
      el(svg, 'rect', { x: 40 + t * cw, y: l * rh + 2, width: cw - 2, height: rh - 4, fill: `rgba(43, 108, 217, ${(0.1 + 0.9 * v).toFixed(3)})`, class: 'cell' },);
      if (cw > 24) el(svg, 'text', { x: 40 + t * cw + cw / 2, y: l * rh + rh / 2 + 4, 'font-size': 9, 'text-anchor': 'middle', fill: v > 0.5 ? 'white' : 'black' }, String(h.layer_spikes[l]));
    });
  }
}

const fmt = (n) => Number(n).toLocaleString('en-US');
function showAnswer(r) {
  $('answer').innerHTML = '';
  const strong = document.createElement('strong');
  strong.id = 'prediction';
  strong.textContent = r.label;
  $('answer').append(strong, `confidence ${(r.confidence * 100).toFixed(1)}% · exit at t = ${r.exit_timestep} (${r.exit_reason})`);
}

function showCosts(early, full) {
  const rows = [
    ['timesteps', early.exit_timestep, full.exit_timestep],
    ['spikes', fmt(early.spikes), fmt(full.spikes)],
    ['synaptic ops (AC)', fmt(early.synaptic_ops), fmt(full.synaptic_ops)],
    ['MACs', fmt(early.macs), fmt(full.macs)],
    ['energy (45 nm est.)', `${(early.energy_joules * 1e6).toFixed(3)} µJ`, `${(full.energy_joules * 1e6).toFixed(3)} µJ`],
    ['answer', early.label, full.label],
  ];
  const body = $('costs').querySelector('tbody');
  body.innerHTML = '';
  rows.forEach((r) => {
    const tr = document.createElement('tr');
    r.forEach((c) => { const td = document.createElement('td'); td.textContent = c; tr.appendChild(td); });
    body.appendChild(tr);
  });
  $('costs').hidden = false;
}

// ---- start ---------------------------------------------------------------------------------
render();
Promise.all([loadModels(), loadDigits()])
  .then(() => {
    status('');
    document.body.dataset.ready = 'true'; // models and digits loaded: the controls are live
  })
  .catch((e) => status(e instanceof TypeError ? `The server is unreachable (${location.origin}).` : e.message));
