// index.html loads uPlot as a classic script, so the modules see it as a global; its types are the npm package's own.
import type UPlot from 'uplot';

declare global {
  const uPlot: typeof UPlot;
}
