/** Reading a uPlot chart's canvas in the browser tests: a canvas has no DOM to query. */
import type { Page } from 'playwright-core';

/** The little of the DOM used here, typed locally: the e2e project compiles without `dom`. */
interface CanvasLike {
  readonly width: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  };
}

/**
 * Whether the chart's canvas, at row `y` (+-1: the line is anti-aliased), has pixels of the
 * warning line's orange (#b86e00 over white), which neither the blue data line nor the pale
 * episode band has.
 */
export async function lineColourAt(p: Page, metric: string, y: number): Promise<boolean> {
  return p.evaluate(
    ([m, row]) => {
      const doc = (globalThis as unknown as { document: { querySelector(s: string): unknown } }).document;
      const canvas = doc.querySelector(`figure.chart[data-metric="${m}"] canvas`) as CanvasLike;
      const px = canvas.getContext('2d').getImageData(0, row - 1, canvas.width, 3).data;
      let hits = 0;
      for (let i = 0; i < px.length; i += 4) {
        const [r, g, b, a] = [px[i]!, px[i + 1]!, px[i + 2]!, px[i + 3]!];
        if (a > 128 && r - b > 96 && g < r) hits++;
      }
      // A dashed line across the plot: far more than a stray label pixel or two.
      return hits > 50;
    },
    [metric, y] as const,
  );
}
