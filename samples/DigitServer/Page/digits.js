// DigitServer's page: a drawing pad, MNIST-style down-sampling to 28 x 28, POST api/predict, a bar chart of the answer.
// No libraries. The page's state is in window.digitServer, for people (and the end-to-end test) to inspect:
//   sent / shown: requests sent and the latest one shown; lastPixels: the 784 values of the shown request;
//   lastResult: its answer {digit, probabilities}; error: the last error message, or null.
'use strict';

(() => {
  const SIDE = 28; // MNIST images are 28 x 28 pixels ...
  const BOX = 20; // ... the digit scaled (aspect kept) to fit a 20 x 20 box, then centred by its centre of mass.
  const INK = 0.05; // a pad pixel with more ink than this (0..1) belongs to the drawing's bounding box

  const pad = document.getElementById('pad');
  const context = pad.getContext('2d', { willReadFrequently: true });
  const preview = document.getElementById('input').getContext('2d');
  const prediction = document.getElementById('prediction');
  const status = document.getElementById('status');
  const chart = document.getElementById('chart');

  const state = { sent: 0, shown: 0, cleared: 0, lastPixels: null, lastResult: null, error: null };
  window.digitServer = state;

  // The bar chart: one bar per digit.
  const bars = [];
  for (let digit = 0; digit < 10; digit++) {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.dataset.digit = String(digit);
    const value = document.createElement('span');
    value.className = 'value';
    const track = document.createElement('div');
    track.className = 'track';
    const fill = document.createElement('div');
    fill.className = 'fill';
    track.append(fill);
    const label = document.createElement('span');
    label.className = 'digit';
    label.textContent = String(digit);
    bar.append(value, track, label);
    chart.append(bar);
    bars.push({ bar, value, fill });
  }

  function showProbabilities(probabilities, top) {
    bars.forEach(({ bar, value, fill }, digit) => {
      const p = probabilities ? probabilities[digit] : 0;
      fill.style.transform = `scaleY(${p})`;
      value.textContent = probabilities ? `${Math.round(p * 100)}%` : '';
      bar.dataset.probability = String(p);
      bar.title = `${digit}: ${(p * 100).toFixed(1)} %`;
      bar.classList.toggle('top', digit === top);
    });
  }

  function setStatus(text, isError = false) {
    status.textContent = text;
    status.classList.toggle('error', isError);
  }

  // Drawing: white ink on black, a round brush of 20 px on the 280 px pad (about two MNIST pixels once scaled).
  const brush = pad.width / 14;
  context.lineWidth = brush;
  context.lineCap = 'round';
  context.lineJoin = 'round';
  context.strokeStyle = '#fff';

  function clear() {
    context.fillStyle = '#000';
    context.fillRect(0, 0, pad.width, pad.height);
    preview.fillStyle = '#000';
    preview.fillRect(0, 0, SIDE, SIDE);
    prediction.textContent = '\u2013';
    showProbabilities(null, -1);
    state.cleared = state.sent;
    state.shown = state.sent;
    state.lastPixels = null;
    state.lastResult = null;
    state.error = null;
    setStatus('Waiting for a drawing.');
  }

  function point(event) {
    const r = pad.getBoundingClientRect();
    return { x: ((event.clientX - r.left) * pad.width) / r.width, y: ((event.clientY - r.top) * pad.height) / r.height };
  }

  let active = null;
  let last = null;

  pad.addEventListener('pointerdown', (event) => {
    if (event.button !== 0 || active !== null) {
      return;
    }
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    active = event.pointerId;
    last = point(event);
    context.fillStyle = '#fff';
    context.beginPath();
    context.arc(last.x, last.y, brush / 2, 0, 2 * Math.PI);
    context.fill();
  });

  pad.addEventListener('pointermove', (event) => {
    if (event.pointerId !== active) {
      return;
    }
    const coalesced = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of coalesced.length > 0 ? coalesced : [event]) {
      const p = point(e);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(p.x, p.y);
      context.stroke();
      last = p;
    }
  });

  function endStroke(event) {
    if (event.pointerId !== active) {
      return;
    }
    active = null;
    last = null;
    predict();
  }
  pad.addEventListener('pointerup', endStroke);
  pad.addEventListener('pointercancel', endStroke);

  // Area averaging: each destination pixel is the mean of the source area it covers, partly covered pixels weighted.
  function taps(sourceLength, destinationLength) {
    const ratio = sourceLength / destinationLength;
    const all = [];
    for (let d = 0; d < destinationLength; d++) {
      const start = d * ratio;
      const end = (d + 1) * ratio;
      const list = [];
      for (let s = Math.floor(start); s < Math.min(sourceLength, Math.ceil(end)); s++) {
        const overlap = Math.min(end, s + 1) - Math.max(start, s);
        if (overlap > 0) {
          list.push([s, overlap / ratio]);
        }
      }
      all.push(list);
    }
    return all;
  }

  // source (stride wide): the rectangle (left, top, width, height) -> a new (targetHeight, targetWidth) array.
  function resample(source, stride, left, top, width, height, targetWidth, targetHeight) {
    const across = taps(width, targetWidth);
    const down = taps(height, targetHeight);
    const rows = new Float32Array(targetWidth * height);
    for (let y = 0; y < height; y++) {
      const base = (top + y) * stride + left;
      for (let x = 0; x < targetWidth; x++) {
        let sum = 0;
        for (const [s, w] of across[x]) {
          sum += source[base + s] * w;
        }
        rows[y * targetWidth + x] = sum;
      }
    }
    const result = new Float32Array(targetWidth * targetHeight);
    for (let y = 0; y < targetHeight; y++) {
      for (const [s, w] of down[y]) {
        for (let x = 0; x < targetWidth; x++) {
          result[y * targetWidth + x] += rows[s * targetWidth + x] * w;
        }
      }
    }
    return result;
  }

  // The pad -> 784 values in [0, 1], as MNIST was made: crop to the ink, scale to fit 20 x 20 (area averaging),
  // place in 28 x 28 with the centre of mass in the middle. Null when nothing is drawn.
  function toMnist() {
    const { width, height } = pad;
    const rgba = context.getImageData(0, 0, width, height).data;
    const ink = new Float32Array(width * height);
    let left = width;
    let top = height;
    let right = -1;
    let bottom = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = rgba[(y * width + x) * 4] / 255;
        ink[y * width + x] = v;
        if (v > INK) {
          left = Math.min(left, x);
          right = Math.max(right, x);
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    }
    if (right < 0) {
      return null;
    }
    const w = right - left + 1;
    const h = bottom - top + 1;
    const scale = BOX / Math.max(w, h);
    const tw = Math.max(1, Math.round(w * scale));
    const th = Math.max(1, Math.round(h * scale));
    const small = resample(ink, width, left, top, w, h, tw, th);
    let mass = 0;
    let mx = 0;
    let my = 0;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = small[y * tw + x];
        mass += v;
        mx += v * (x + 0.5);
        my += v * (y + 0.5);
      }
    }
    const dx = Math.round(SIDE / 2 - mx / mass);
    const dy = Math.round(SIDE / 2 - my / mass);
    const pixels = new Float32Array(SIDE * SIDE);
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const tx = x + dx;
        const ty = y + dy;
        if (tx >= 0 && tx < SIDE && ty >= 0 && ty < SIDE) {
          pixels[ty * SIDE + tx] = Math.min(1, small[y * tw + x]);
        }
      }
    }
    return pixels;
  }

  function drawPreview(pixels) {
    const image = preview.createImageData(SIDE, SIDE);
    pixels.forEach((v, i) => {
      const g = Math.round(v * 255);
      image.data.set([g, g, g, 255], i * 4);
    });
    preview.putImageData(image, 0, 0);
  }

  async function predict() {
    const image = toMnist();
    if (image === null) {
      return;
    }
    const pixels = Array.from(image, (v) => Math.round(v * 10000) / 10000);
    const sequence = ++state.sent;
    setStatus('Asking the model\u2026');
    let result = null;
    let error = null;
    try {
      const response = await fetch('api/predict', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ pixels }),
      });
      const body = await response.json().catch(() => null);
      if (response.ok && body !== null) {
        result = body;
      } else {
        error = body && body.error ? body.error : `the server answered ${response.status}`;
      }
    } catch (e) {
      error = `the server did not answer (${e.message})`;
    }
    if (sequence <= state.cleared || sequence < state.shown) {
      return; // cleared meanwhile, or a later drawing is already shown
    }
    state.shown = sequence;
    state.lastPixels = pixels;
    state.error = error;
    if (error !== null) {
      setStatus(error, true);
      return;
    }
    state.lastResult = result;
    drawPreview(image);
    prediction.textContent = String(result.digit);
    showProbabilities(result.probabilities, result.digit);
    const p = result.probabilities[result.digit];
    setStatus(`A ${result.digit}, with probability ${(p * 100).toFixed(1)}%.`);
  }

  document.getElementById('clear').addEventListener('click', clear);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      clear();
    }
  });
  clear();
})();
