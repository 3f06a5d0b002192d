/** The live page's HTML: a form, the growing image and the ten probability bars. */

/** The live page; its script is the bundle at `/assets/live.js`. */
export const LIVE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>identikit · live</title>
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
  h1 { font-size: 1.4rem; margin: 0 0 1rem; }
  form { display: flex; gap: 0.8rem; flex-wrap: wrap; align-items: end; margin-bottom: 1.2rem; }
  label { display: flex; flex-direction: column; font-size: 0.8rem; color: #555; }
  input { width: 6rem; font: inherit; padding: 0.2rem; }
  main { display: flex; gap: 2rem; align-items: start; }
  canvas { width: 280px; height: 280px; border: 1px solid #ccc; image-rendering: pixelated; }
  #bars { width: 320px; }
  .bar { display: flex; align-items: center; gap: 0.5rem; height: 26px; }
  .label { width: 1rem; text-align: right; font-weight: 600; }
  .track { flex: 1; height: 16px; background: #eee; }
  .fill { display: block; height: 100%; background: #8a9bb0; }
  .target .fill { background: #1f6feb; }
  .value { width: 3.5rem; font-variant-numeric: tabular-nums; font-size: 0.85rem; }
  #status { font-variant-numeric: tabular-nums; min-height: 1.4em; }
</style>
</head>
<body>
<h1>identikit · live: the network draws a digit</h1>
<form id="form" method="get" action="/live">
  <label>model <input name="model" value="cnn"></label>
  <label>digit <input name="digit" type="number" min="0" max="9" value="3"></label>
  <label>strategy <input name="strategy" value="sketch"></label>
  <label>seed <input name="seed" type="number" min="0" value="1"></label>
  <label>target <input name="target" type="number" step="any" min="0" max="1" value="0.99"></label>
  <input type="hidden" name="run" value="1">
  <button type="submit">Draw</button>
</form>
<main>
  <canvas id="image" width="280" height="280"></canvas>
  <div id="bars"></div>
</main>
<p id="status">Choose a model, a digit, a strategy, a seed and a target, then Draw.</p>
<script type="module" src="/assets/live.js"></script>
</body>
</html>
`;
