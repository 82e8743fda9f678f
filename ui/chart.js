/**
 * Live line charts over time, on uPlot (a small canvas chart library: npm `uplot`, served by the broker
 * under /ui/vendor/ from its node_modules, never from a CDN). uPlot draws on a canvas and sets its
 * elements' sizes through the CSSOM (element.style), which the console's CSP allows; its classes are in
 * vendor/uPlot.min.css. Colours come from the stylesheet's variables, read when the chart is made, so the
 * light and dark themes both apply.
 *
 *   const chart = lineChart(el, { series: [{ label: 'produced', color: '--accent' }] });
 *   chart.update(timesMs, [values]);   // draws (the first call makes the canvas)
 *   chart.destroy();
 */
// @ts-expect-error -- not a file of ui/: the broker serves node_modules/uplot/dist/uPlot.esm.js here (src/broker/ui/console.ts)
import uPlotModule from './vendor/uPlot.esm.js';

/** @type {typeof import('uplot')} */
const UPlot = uPlotModule;

const HEIGHT = 220;

/**
 * @typedef {{ label: string, color: string }} SeriesSpec `color`: a CSS variable of style.css (`--accent`) or a colour
 * @typedef {{ series: SeriesSpec[], height?: number, unit?: string, label?: string, windowMs?: number }} ChartSpec `windowMs`: the x axis shows that long, up to the last sample
 * @typedef {{ update: (times: number[], columns: number[][]) => void, destroy: () => void }} Chart
 */

/** `[last - seconds, last]` of the x values (seconds), or the window up to now before any. @param {ArrayLike<number>} xs @param {number} seconds */
function lastWindow(xs, seconds) {
  const last = xs.length > 0 ? xs[xs.length - 1] : Date.now() / 1000;
  return /** @type {[number, number]} */ ([last - seconds, last]);
}

/** @param {string} color */
function resolveColor(color) {
  if (!color.startsWith('--')) return color;
  return getComputedStyle(document.documentElement).getPropertyValue(color).trim() || '#888';
}

/**
 * A chart in `target`, sized to its width (and following it).
 * @param {HTMLElement} target @param {ChartSpec} spec @returns {Chart}
 */
export function lineChart(target, spec) {
  /** @type {import('uplot') | null} */
  let plot = null;
  const fg = resolveColor('--muted');
  const grid = resolveColor('--line');
  const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
  const width = () => Math.max(200, Math.floor(target.clientWidth));
  /** @type {import('uplot').Options} */
  const options = {
    width: width(),
    height: spec.height ?? HEIGHT,
    scales: {
      // the window ends at the last sample (read from the data: uPlot pads the range of a single point)
      x: { time: true, range: spec.windowMs === undefined ? undefined : (u) => lastWindow(u.data[0], spec.windowMs / 1000) },
      y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
    },
    axes: [axis, { ...axis, label: spec.label, size: 60 }],
    series: [
      {},
      ...spec.series.map((s) => ({
        label: s.label,
        stroke: resolveColor(s.color),
        width: 2,
        // uPlot shows the points only while they are sparse: one sample is a dot, not nothing
        value: (/** @type {unknown} */ _u, /** @type {number | null} */ v) =>
          v === null ? '–' : `${v.toLocaleString('en-US')}${spec.unit ?? ''}`,
      })),
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
  const resize = new ResizeObserver(() => plot?.setSize({ width: width(), height: spec.height ?? HEIGHT }));
  resize.observe(target);
  return {
    update(times, columns) {
      // uPlot's time scale is in seconds
      const data = /** @type {import('uplot').AlignedData} */ ([times.map((t) => t / 1000), ...columns]);
      if (plot === null) plot = new UPlot(options, data, target);
      else plot.setData(data);
    },
    destroy() {
      resize.disconnect();
      plot?.destroy();
      plot = null;
    },
  };
}
