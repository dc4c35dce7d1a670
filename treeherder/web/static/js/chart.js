// A small SVG time-series chart: lines and points per series, alert markers, nice axes, a hover tooltip with the
// nearest point, and drag-to-zoom on the time axis. No dependencies.

const SVG = 'http://www.w3.org/2000/svg';
const MARGIN = { top: 16, right: 20, bottom: 34, left: 64 };
const MAX_POINT_MARKERS = 1500; // above this many points in view, lines only (hover still finds points)

export const PALETTE = ['#1e64c8', '#d42020', '#248a2b', '#9b36d8', '#e07000', '#00838f', '#6d4c41', '#c2185b', '#455a64', '#7cb342'];

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (parent) parent.append(node);
  return node;
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min, max, count = 6) {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

const TIME_STEPS = [3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 91 * 86400, 365 * 86400];

function timeTicks(min, max, count = 7) {
  const raw = (max - min) / count;
  const step = TIME_STEPS.find((s) => s >= raw) || TIME_STEPS[TIME_STEPS.length - 1];
  const ticks = [];
  for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
  return { ticks, step };
}

function timeLabel(t, step) {
  const date = new Date(t * 1000);
  if (step < 86400) return date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  return date.toLocaleDateString(undefined, { year: step >= 30 * 86400 ? 'numeric' : undefined, month: 'short', day: 'numeric' });
}

function formatValue(v) {
  const abs = Math.abs(v);
  if (abs >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (abs >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  return String(Number(v.toPrecision(4)));
}

/**
 * Draw `series` ({id, name, color, points: [{x, y, ...}], alerts: [{x, y, isRegression, ...}]}) into `container`.
 * Options: `xRange` ([x0, x1] zoom or null), `onZoom(range)`, `onHover(hit | null, position)` and `onPick(hit)`
 * where a hit is {series, point, alert}. Returns nothing; call again to redraw.
 */
export function drawChart(container, series, { xRange = null, onZoom, onHover, onPick } = {}) {
  container.textContent = '';
  const width = container.clientWidth || 800;
  const height = container.clientHeight || 400;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'performance graph' }, container);
  const all = series.flatMap((s) => s.points);
  if (!all.length) {
    el('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'empty' }, svg).textContent = 'No data in this time range.';
    return;
  }
  let x0 = xRange ? xRange[0] : Math.min(...all.map((p) => p.x));
  let x1 = xRange ? xRange[1] : Math.max(...all.map((p) => p.x));
  if (x1 === x0) {
    x0 -= 3600;
    x1 += 3600;
  } else if (!xRange) {
    const margin = (x1 - x0) * 0.02; // keep the first and last points off the frame
    x0 -= margin;
    x1 += margin;
  }
  const inView = all.filter((p) => p.x >= x0 && p.x <= x1);
  const values = (inView.length ? inView : all).map((p) => p.y);
  let y0 = Math.min(...values);
  let y1 = Math.max(...values);
  const pad = (y1 - y0) * 0.08 || Math.abs(y1) * 0.05 || 1;
  y0 -= pad;
  y1 += pad;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const sx = (x) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y) => MARGIN.top + (1 - (y - y0) / (y1 - y0)) * plotH;

  // Axes and grid.
  const grid = el('g', { class: 'grid' }, svg);
  const axis = el('g', { class: 'axis' }, svg);
  for (const v of niceTicks(y0, y1)) {
    const y = sy(v);
    el('line', { x1: MARGIN.left, x2: width - MARGIN.right, y1: y, y2: y }, grid);
    el('text', { x: MARGIN.left - 6, y: y + 4, 'text-anchor': 'end' }, axis).textContent = formatValue(v);
  }
  const { ticks, step } = timeTicks(x0, x1);
  for (const t of ticks) {
    const x = sx(t);
    el('line', { x1: x, x2: x, y1: MARGIN.top, y2: height - MARGIN.bottom }, grid);
    el('text', { x, y: height - MARGIN.bottom + 16, 'text-anchor': 'middle' }, axis).textContent = timeLabel(t, step);
  }
  el('rect', { x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH, fill: 'none', stroke: '#c9ced6' }, svg);

  // Series, clipped to the plot area.
  const clipId = `clip-${Math.random().toString(36).slice(2)}`;
  const defs = el('defs', {}, svg);
  const clip = el('clipPath', { id: clipId }, defs);
  el('rect', { x: MARGIN.left, y: MARGIN.top - 8, width: plotW, height: plotH + 16 }, clip);
  const plot = el('g', { 'clip-path': `url(#${clipId})` }, svg);
  const drawPoints = inView.length <= MAX_POINT_MARKERS;
  for (const s of series) {
    const visible = s.points.filter((p) => p.x >= x0 && p.x <= x1);
    if (!visible.length) continue;
    const d = visible.map((p, i) => `${i ? 'L' : 'M'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join('');
    el('path', { d, class: 'series-line', stroke: s.color, 'data-series': s.id }, plot);
    if (drawPoints) {
      const group = el('g', { fill: s.color }, plot);
      for (const p of visible) el('circle', { cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: 2.5, class: 'point' }, group);
    }
    for (const alert of s.alerts || []) {
      if (alert.x < x0 || alert.x > x1) continue;
      const ax = sx(alert.x);
      const ay = sy(alert.y) - 9;
      const marker = el('path', {
        d: `M${ax - 6},${ay - 9}L${ax + 6},${ay - 9}L${ax},${ay}Z`,
        class: `alert-marker ${alert.isRegression ? 'regression' : 'improvement'}`,
        'data-alert-id': alert.id,
        'data-series': s.id,
      }, plot);
      el('title', {}, marker).textContent = `${alert.isRegression ? 'Regression' : 'Improvement'} ${alert.label || ''}`;
    }
  }

  // Hover and zoom on an overlay covering the plot area.
  const highlight = el('circle', { r: 5, class: 'hover-ring', fill: 'none', visibility: 'hidden' }, svg);
  const brush = el('rect', { class: 'brush', y: MARGIN.top, height: plotH, visibility: 'hidden' }, svg);
  const overlay = el('rect', { x: MARGIN.left, y: MARGIN.top, width: plotW, height: plotH, fill: 'transparent', class: 'overlay' }, svg);
  const toChart = (event) => {
    const box = svg.getBoundingClientRect();
    return { x: ((event.clientX - box.left) / box.width) * width, y: ((event.clientY - box.top) / box.height) * height };
  };
  const nearest = (position) => {
    let best = null;
    let bestDistance = Infinity;
    for (const s of series) {
      for (const p of s.points) {
        if (p.x < x0 || p.x > x1) continue;
        const dx = sx(p.x) - position.x;
        const dy = sy(p.y) - position.y;
        const distance = dx * dx + dy * dy;
        if (distance < bestDistance) {
          bestDistance = distance;
          best = { series: s, point: p };
        }
      }
    }
    if (!best || bestDistance > 30 * 30) return null;
    best.alert = (best.series.alerts || []).find((a) => a.pushId === best.point.pushId) || null;
    return best;
  };
  // Dragging is followed on the window, so passing over a marker or leaving the plot does not end it.
  let dragFrom = null;
  const onDragMove = (event) => {
    const x = toChart(event).x;
    if (Math.abs(x - dragFrom) <= 3) return;
    const clamped = Math.max(MARGIN.left, Math.min(x, width - MARGIN.right));
    brush.setAttribute('visibility', 'visible');
    brush.setAttribute('x', Math.min(dragFrom, clamped));
    brush.setAttribute('width', Math.abs(clamped - dragFrom));
  };
  const onDragEnd = (event) => {
    window.removeEventListener('mousemove', onDragMove);
    window.removeEventListener('mouseup', onDragEnd);
    const start = dragFrom;
    const position = toChart(event);
    dragFrom = null;
    brush.setAttribute('visibility', 'hidden');
    if (Math.abs(position.x - start) > 3) {
      const invert = (px) => x0 + ((Math.max(MARGIN.left, Math.min(px, width - MARGIN.right)) - MARGIN.left) / plotW) * (x1 - x0);
      if (onZoom) onZoom([invert(Math.min(start, position.x)), invert(Math.max(start, position.x))].map(Math.round));
      return;
    }
    const hit = nearest(position);
    if (hit && onPick) onPick(hit, { x: sx(hit.point.x), y: sy(hit.point.y), width, height });
  };
  overlay.addEventListener('mousedown', (event) => {
    dragFrom = toChart(event).x;
    window.addEventListener('mousemove', onDragMove);
    window.addEventListener('mouseup', onDragEnd);
    event.preventDefault();
  });
  svg.addEventListener('mousemove', (event) => {
    if (dragFrom !== null) return;
    const hit = nearest(toChart(event));
    if (hit) {
      highlight.setAttribute('cx', sx(hit.point.x));
      highlight.setAttribute('cy', sy(hit.point.y));
      highlight.setAttribute('stroke', hit.series.color);
      highlight.setAttribute('visibility', 'visible');
    } else highlight.setAttribute('visibility', 'hidden');
    if (onHover) onHover(hit, hit ? { x: sx(hit.point.x), y: sy(hit.point.y), width, height } : null);
  });
  svg.addEventListener('mouseleave', () => {
    highlight.setAttribute('visibility', 'hidden');
    if (onHover && dragFrom === null) onHover(null, null);
  });
  // Alert markers sit above the overlay: clicking one picks its point.
  svg.append(plot);
  plot.addEventListener('click', (event) => {
    const marker = event.target.closest('.alert-marker');
    if (!marker || !onPick) return;
    const s = series.find((item) => String(item.id) === marker.dataset.series);
    const alert = s && s.alerts.find((a) => String(a.id) === marker.dataset.alertId);
    const point = alert && s.points.find((p) => p.pushId === alert.pushId);
    if (point) onPick({ series: s, point, alert }, { x: sx(point.x), y: sy(point.y), width, height });
  });
}
