/// The live job page: static HTML, CSS and JavaScript served by saql itself, with nothing fetched
/// from elsewhere and no build step. The script draws the plan from `/api/plan` (EXPLAIN's JSON),
/// starts from `/api/history` and follows `/api/events` (Server-Sent Events, about four a second).
enum LivePage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>saql · live job</title>
    <link rel="stylesheet" href="app.css">
    </head>
    <body>
    <header>
      <h1>saql <span class="dim">live job</span></h1>
      <div id="summary" class="summary"></div>
      <div id="connection" class="pill">connecting…</div>
    </header>
    <main>
      <section class="card wide">
        <h2>Plan <span class="dim">rows per second in → out, rows so far, rows held, watermark</span></h2>
        <div id="plan" class="plan"></div>
      </section>
      <section class="card">
        <h2>Time <span class="dim">watermark delay (solid: behind wall time; dashed: behind the newest arrival, or the newest event time of a replayed file)</span></h2>
        <canvas id="time-chart" height="220"></canvas>
        <div id="time-legend" class="legend"></div>
        <div id="lags"></div>
      </section>
      <section class="card">
        <h2>Adjusted and dropped events <span class="dim">by reason, with the latest sample</span></h2>
        <table id="reasons"><thead><tr><th>reason</th><th class="num">events</th><th>latest sample</th></tr></thead><tbody></tbody></table>
      </section>
      <section class="card">
        <h2>Checkpoints and events of the run</h2>
        <div id="checkpoint" class="summary"></div>
        <ul id="notices" class="notices"></ul>
      </section>
      <section class="wide">
        <h2 class="outside">Outputs <span class="dim">the last rows, and their numeric columns over System.Timestamp()</span></h2>
        <div id="outputs" class="outputs"></div>
      </section>
    </main>
    <script src="app.js"></script>
    </body>
    </html>
    """#

    static let style = #"""
    :root { --bg: #f6f7f9; --card: #ffffff; --fg: #1d2330; --dim: #6a7385; --line: #d9dde5; --accent: #2563eb;
            --node: #eef3ff; --sink: #ecfdf3; --source: #fff7e6; --warn: #b45309; --bad: #b91c1c; }
    @media (prefers-color-scheme: dark) {
      :root { --bg: #0f131a; --card: #171c25; --fg: #e6e9ef; --dim: #9aa3b5; --line: #2c3442; --accent: #7aa2ff;
              --node: #1d2740; --sink: #16302a; --source: #33290f; --warn: #f0b35a; --bad: #f87171; }
    }
    * { box-sizing: border-box; }
    body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
    header { display: flex; gap: 16px; align-items: baseline; padding: 12px 20px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
    h1 { font-size: 18px; margin: 0; }
    h2 { font-size: 14px; margin: 0 0 8px; }
    h2.outside { margin: 4px 0 8px; }
    .dim { color: var(--dim); font-weight: normal; }
    .summary { color: var(--dim); font-variant-numeric: tabular-nums; }
    .summary b { color: var(--fg); }
    .pill { margin-left: auto; padding: 2px 10px; border-radius: 10px; border: 1px solid var(--line); color: var(--dim); }
    .pill.live { color: #16a34a; border-color: #16a34a; }
    main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px 20px; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; min-width: 0; }
    .wide { grid-column: 1 / -1; }
    .plan { overflow: auto; max-height: 70vh; }
    .plan svg { display: block; }
    .plan .node rect { fill: var(--node); stroke: var(--line); }
    .plan .node.source rect { fill: var(--source); }
    .plan .node.sink rect { fill: var(--sink); }
    .plan text { fill: var(--fg); font-size: 12px; }
    .plan text.title { font-weight: 600; }
    .plan text.sub, .plan text.dimtext { fill: var(--dim); font-size: 11px; }
    .plan path { fill: none; stroke: var(--dim); stroke-width: 1.2; }
    canvas { width: 100%; display: block; }
    .legend { display: flex; gap: 12px; flex-wrap: wrap; color: var(--dim); font-size: 12px; }
    .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
    table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
    th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
    th { color: var(--dim); font-weight: 500; }
    .num { text-align: right; white-space: nowrap; }
    td.sample { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
    tr.hit td:first-child { color: var(--warn); font-weight: 600; }
    .notices { margin: 8px 0 0; padding-left: 18px; color: var(--dim); max-height: 160px; overflow: auto; }
    .outputs { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
    .outputs .card table { font-size: 12px; }
    .outputs .tablewrap { overflow: auto; max-height: 220px; }
    """#

    static let script = #"""
    'use strict';
    const token = new URLSearchParams(location.search).get('token');
    const q = token ? '?token=' + encodeURIComponent(token) : '';
    const palette = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4f46e5', '#65a30d', '#0d9488', '#a16207'];
    const state = { plan: null, last: null, rates: {}, timeline: [], rows: {}, samples: {}, reasons: {}, notices: [] };

    function fmt(n) {
      if (n === undefined || n === null || isNaN(n)) return '–';
      const a = Math.abs(n);
      if (a >= 1e9) return (n / 1e9).toFixed(1) + 'G';
      if (a >= 1e6) return (n / 1e6).toFixed(1) + 'M';
      if (a >= 1e4) return (n / 1e3).toFixed(1) + 'K';
      if (a >= 100 || Number.isInteger(n)) return Math.round(n).toString();
      return n.toFixed(1);
    }
    function secs(s) {
      if (s === undefined || s === null) return '–';
      const a = Math.abs(s);
      if (a >= 3600) return (s / 3600).toFixed(1) + ' h';
      if (a >= 60) return (s / 60).toFixed(1) + ' min';
      if (a >= 1) return s.toFixed(1) + ' s';
      return Math.round(s * 1000) + ' ms';
    }
    function bytes(b) { return b >= 1 << 20 ? (b / 1048576).toFixed(1) + ' MB' : b >= 1024 ? (b / 1024).toFixed(1) + ' KB' : b + ' B'; }
    function el(tag, attrs, text) {
      const e = document.createElementNS(tag === 'svg' || ['g', 'rect', 'text', 'path', 'title'].includes(tag) ? 'http://www.w3.org/2000/svg' : 'http://www.w3.org/1999/xhtml', tag);
      for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
      if (text !== undefined) e.textContent = text;
      return e;
    }
    function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + '…' : s; }
    // Shortens an SVG label until it fits its box (the full text is in the box's tooltip).
    function fit(t, text, max) {
      t.textContent = text;
      if (!t.getComputedTextLength) return;
      while (t.textContent.length > 4 && t.getComputedTextLength() > max) t.textContent = t.textContent.slice(0, -2) + '…';
    }

    // The plan: columns by depth from the inputs, rows by plan order; fixed boxes, so labels never overlap.
    function drawPlan(plan) {
      const nodes = plan.nodes, byId = {};
      nodes.forEach(n => byId[n.id] = n);
      const depth = {};
      const d = n => depth[n.id] !== undefined ? depth[n.id] : (depth[n.id] = n.inputs.length ? 1 + Math.max(...n.inputs.map(i => d(byId[i]))) : 0);
      nodes.forEach(d);
      const maxDepth = Math.max(...nodes.map(n => depth[n.id]));
      nodes.forEach(n => { if (n.operator === 'Sink') depth[n.id] = maxDepth; });
      const cols = [];
      nodes.forEach(n => (cols[depth[n.id]] = cols[depth[n.id]] || []).push(n));
      const W = 184, H = 78, GX = 40, GY = 16, pos = {};
      cols.forEach((col, c) => col.forEach((n, r) => pos[n.id] = { x: 10 + c * (W + GX), y: 10 + r * (H + GY) }));
      const width = 20 + cols.length * (W + GX) - GX, height = 20 + Math.max(...cols.map(c => c.length)) * (H + GY) - GY;
      const svg = el('svg', { width, height, viewBox: `0 0 ${width} ${height}`, id: 'plan-svg' });
      nodes.forEach(n => n.inputs.forEach(i => {
        const a = pos[i], b = pos[n.id], x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        svg.appendChild(el('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}` }));
      }));
      nodes.forEach(n => {
        const p = pos[n.id], kind = n.operator === 'Source' ? 'source' : n.operator === 'Sink' ? 'sink' : 'op';
        const g = el('g', { class: 'node ' + kind, 'data-node-id': n.id, transform: `translate(${p.x},${p.y})` });
        g.appendChild(el('rect', { width: W, height: H, rx: 6 }));
        g.appendChild(el('title', {}, JSON.stringify(n, null, 1)));
        const name = n.operator === 'Source' ? n.input : n.operator === 'Sink' ? n.output : (n.window || n.predicate || n.items || n.keys || '');
        g.appendChild(el('text', { x: 8, y: 17, class: 'title' }, clip(`#${n.id} ${n.operator}`, 27)));
        g.appendChild(el('text', { x: 8, y: 33, class: 'sub' }, clip(Array.isArray(name) ? name.join(', ') : name, 31)));
        g.appendChild(el('text', { x: 8, y: 51, class: 'figures' }, '–'));
        g.appendChild(el('text', { x: 8, y: 68, class: 'dimtext watermark' }, ''));
        svg.appendChild(g);
      });
      const box = document.getElementById('plan');
      box.innerHTML = '';
      box.appendChild(svg);
      svg.querySelectorAll('text').forEach(t => fit(t, t.textContent, W - 14));
    }

    // Rows per second over the last 5 s, so an operator that emits once a minute does not flicker to 0.
    function rateOf(key) {
      const h = state.rates[key] || [], first = h[0], last = h[h.length - 1];
      return h.length > 1 && last.at > first.at ? (last.count - first.count) / (last.at - first.at) : 0;
    }
    function rate(key, count, at) {
      const h = state.rates[key] = state.rates[key] || [];
      if (!h.length || at > h[h.length - 1].at) h.push({ count, at });
      while (h.length > 2 && h[1].at <= at - 5) h.shift();
      const first = h[0], last = h[h.length - 1];
      return last.at > first.at ? (last.count - first.count) / (last.at - first.at) : 0;
    }

    function updatePlan(u) {
      if (!state.plan) return;
      const ops = {};
      (u.operators || []).forEach(o => ops[o.id] = o);
      const now = Date.parse(u.now) / 1000;
      state.plan.nodes.forEach(n => {
        const g = document.querySelector(`[data-node-id="${n.id}"]`);
        if (!g) return;
        let count, held, wm;
        if (n.operator === 'Source') count = (u.inputs || {})[n.input] || 0;
        else if (n.operator === 'Sink') count = (u.outputs || {})[n.output] || 0;
        else if (ops[n.id]) { count = ops[n.id].rowsOut; held = ops[n.id].held; wm = ops[n.id].watermark; }
        const r = rate('node' + n.id, count || 0, u.uptime);
        g.setAttribute('data-rows', count || 0);
        // In: what the node's inputs emitted; out: what it emitted (a sink: what it wrote).
        const rin = n.inputs.reduce((a, i) => a + ((state.rates['node' + i] || []).length ? rateOf('node' + i) : 0), 0);
        const flow = n.inputs.length ? `${fmt(rin)} → ${fmt(r)}/s` : `${fmt(r)}/s`;
        fit(g.querySelector('.figures'), `${flow} · ${fmt(count || 0)} rows` + (held ? ` · ${fmt(held)} held` : ''), 170);
        if (n.operator === 'Source' && u.time && u.time.inputs && u.time.inputs[n.input]) {
          const t = u.time.inputs[n.input];
          fit(g.querySelector('.watermark'), `wm ${t.watermark.slice(11, 19)} · ${secs(t.arrivalDelay !== undefined ? t.arrivalDelay : t.wallDelay)} behind`, 170);
        } else if (wm) {
          fit(g.querySelector('.watermark'), `watermark ${wm.slice(11, 19)} (${wm.slice(5, 10)})`, 170);
        }
      });
    }

    function updateSummary(u) {
      const ins = Object.values(u.inputs || {}).reduce((a, b) => a + b, 0), outs = Object.values(u.outputs || {}).reduce((a, b) => a + b, 0);
      const ri = rate('in', ins, u.uptime), ro = rate('out', outs, u.uptime);
      document.getElementById('summary').innerHTML =
        `in <b id="total-in">${ins}</b> (${fmt(ri)}/s) · out <b id="total-out">${outs}</b> (${fmt(ro)}/s) · held <b>${fmt(u.held)}</b> rows · up ${secs(u.uptime)}`;
    }

    function drawTime() {
      const c = document.getElementById('time-chart'), ctx = c.getContext('2d');
      const w = c.width = c.clientWidth * devicePixelRatio, h = c.height = 220 * devicePixelRatio;
      ctx.clearRect(0, 0, w, h);
      const tl = state.timeline.slice(-1200), last = tl.length ? tl[tl.length - 1].at : 0, from = last - 300;
      const inputs = [...new Set(tl.flatMap(t => Object.keys(t.inputs || {})))];
      // A replay of old events is days behind the wall clock: only the delay against arrival is drawn then.
      const replay = tl.some(t => Object.values(t.inputs || {}).some(v => (v.wallDelay || 0) > 86400));
      const keys = replay ? [['arrivalDelay', []]] : [['wallDelay', []], ['arrivalDelay', [4, 4]]];
      let max = 1;
      tl.forEach(t => Object.values(t.inputs || {}).forEach(v => keys.forEach(([k]) => { max = Math.max(max, v[k] || 0); })));
      const X = a => 40 * devicePixelRatio + (a - from) / 300 * (w - 50 * devicePixelRatio), Y = v => h - 18 * devicePixelRatio - Math.min(v, max) / max * (h - 28 * devicePixelRatio);
      ctx.strokeStyle = getComputedStyle(document.body).getPropertyValue('--line'); ctx.beginPath(); ctx.moveTo(X(from), Y(0)); ctx.lineTo(X(last), Y(0)); ctx.stroke();
      ctx.fillStyle = getComputedStyle(document.body).getPropertyValue('--dim'); ctx.font = `${11 * devicePixelRatio}px system-ui`;
      ctx.fillText(secs(max), 2, Y(max) + 10 * devicePixelRatio); ctx.fillText('0', 2, Y(0));
      ctx.fillText('last 5 min', X(last) - 60 * devicePixelRatio, h - 4);
      inputs.forEach((name, i) => {
        for (const [key, dash] of keys) {
          ctx.strokeStyle = palette[i % palette.length]; ctx.setLineDash(dash); ctx.lineWidth = 1.5 * devicePixelRatio; ctx.beginPath();
          let started = false;
          tl.forEach(t => { const v = t.inputs && t.inputs[name] && t.inputs[name][key]; if (v === undefined || t.at < from) return;
            started ? ctx.lineTo(X(t.at), Y(v)) : ctx.moveTo(X(t.at), Y(v)); started = true; });
          ctx.stroke();
        }
      });
      ctx.setLineDash([]);
      document.getElementById('time-legend').innerHTML = inputs.map((n, i) => `<span><i style="background:${palette[i % palette.length]}"></i>${n}</span>`).join('')
        + (replay ? ' <span>replayed events: behind the newest event only (the wall clock is days ahead)</span>' : '');
      c.setAttribute('data-points', tl.length);
      const lags = (tl.length && tl[tl.length - 1].lags) || [];
      document.getElementById('lags').textContent = lags.length
        ? 'consumer lag: ' + lags.map(l => `${l.input} partition ${l.partition}: ${fmt(l.lag)} records`).join(' · ') : '';
    }

    const reasonNames = { late_adjusted: 'late, adjusted', late_dropped: 'late, dropped', out_of_order_adjusted: 'out of order, adjusted',
      out_of_order_dropped: 'out of order, dropped', early_dropped: 'early, dropped', invalid_timestamp: 'invalid timestamp',
      malformed: 'malformed', evaluation_error: 'evaluation error', output_error: 'output error' };
    const sampleReason = { late_adjusted: 'late', late_dropped: 'late', out_of_order_adjusted: 'out_of_order', out_of_order_dropped: 'out_of_order',
      early_dropped: 'early', invalid_timestamp: 'invalid_timestamp', malformed: 'malformed', evaluation_error: 'evaluation_error', output_error: 'output_error' };

    function updateReasons(u) {
      if (u.reasons) state.reasons = u.reasons;
      const body = document.querySelector('#reasons tbody');
      body.innerHTML = '';
      for (const key in reasonNames) {
        const n = state.reasons[key] || 0, s = state.samples[sampleReason[key]];
        const tr = el('tr', { 'data-reason': key, class: n ? 'hit' : '' });
        tr.appendChild(el('td', {}, reasonNames[key]));
        tr.appendChild(el('td', { class: 'num' }, fmt(n)));
        const td = el('td', { class: 'sample' });
        if (s && n) {
          const times = ['original_time', 'adjusted_time', 'arrival_time', 'watermark'].filter(k => s[k]).map(k => `${k.replace('_', ' ')} ${s[k].slice(11, 23)}`).join(' · ');
          td.textContent = `${s.input}: ${s.detail}${times ? ' — ' + times : ''}${s.position ? ' (' + s.position + ')' : ''} ${s.event ? JSON.stringify(s.event) : ''}`;
        }
        tr.appendChild(td);
        body.appendChild(tr);
      }
    }

    function addSamples(list) { (list || []).forEach(s => state.samples[s.reason] = s); }

    function updateCheckpoint(u) {
      if (u.checkpoint) {
        const c = u.checkpoint;
        document.getElementById('checkpoint').innerHTML = `last checkpoint <b>${c.at.slice(11, 19)}</b> · ${fmt(c.ms)} ms · ${bytes(c.bytes)} · ${c.count} this run`;
      } else if (!document.getElementById('checkpoint').textContent) {
        document.getElementById('checkpoint').textContent = 'no checkpoint yet (run with --state DIR to keep them)';
      }
      (u.notices || []).forEach(n => state.notices.push(n));
      const ul = document.getElementById('notices');
      ul.innerHTML = '';
      state.notices.slice(-30).forEach(n => ul.appendChild(el('li', {}, `${n.at.slice(11, 19)} ${n.text}`)));
    }

    function outputCard(name) {
      let card = document.querySelector(`[data-output="${CSS.escape(name)}"]`);
      if (card) return card;
      card = el('div', { class: 'card', 'data-output': name });
      card.appendChild(el('h2', {}, name));
      card.appendChild(el('canvas', { height: 160, class: 'chart', 'data-points': 0 }));
      card.appendChild(el('div', { class: 'legend' }));
      const wrap = el('div', { class: 'tablewrap' });
      wrap.appendChild(el('table', {}));
      card.appendChild(wrap);
      document.getElementById('outputs').appendChild(card);
      return card;
    }

    function addRows(rows) {
      for (const name in rows || {}) {
        state.rows[name] = (state.rows[name] || []).concat(rows[name]).slice(-400);
      }
    }

    function drawOutputs() {
      for (const name in state.rows) {
        const rows = state.rows[name], card = outputCard(name);
        const cols = [...new Set(rows.flatMap(r => Object.keys(r.row || {})))];
        const numeric = cols.filter(k => rows.some(r => typeof r.row[k] === 'number')).slice(0, 6);
        // Rows of a few keys (a device, a type): one line per key for the first numeric column.
        const iso = /^\d{4}-\d\d-\d\dT/;
        // The text column with the most distinct values that still fit the palette (a device before its type).
        const distinct = k => new Set(rows.map(r => r.row[k])).size;
        const keyCol = cols.filter(k => rows.every(r => typeof r.row[k] === 'string' && !iso.test(r.row[k])) && distinct(k) >= 2 && distinct(k) <= palette.length)
          .sort((a, b) => distinct(b) - distinct(a))[0];
        const series = keyCol && numeric.length
          ? [...new Set(rows.map(r => r.row[keyCol]))].sort().map(key => ({ label: key, col: numeric[0], rows: rows.filter(r => r.row[keyCol] === key) }))
          : numeric.map(k => ({ label: k, col: k, rows }));
        const c = card.querySelector('canvas'), ctx = c.getContext('2d');
        const w = c.width = c.clientWidth * devicePixelRatio, h = c.height = 160 * devicePixelRatio;
        ctx.clearRect(0, 0, w, h);
        const ts = rows.map(r => Date.parse(r.t));
        const t0 = Math.min(...ts), t1 = Math.max(...ts, t0 + 1);
        const scaleOf = col => { const vs = rows.map(r => r.row[col]).filter(v => typeof v === 'number');
          return [Math.min(...vs), Math.max(...vs, Math.min(...vs) + 1e-9)]; };
        series.forEach((sr, i) => {
          const [lo, hi] = scaleOf(sr.col);
          ctx.strokeStyle = palette[i % palette.length]; ctx.lineWidth = 1.5 * devicePixelRatio; ctx.beginPath();
          let started = false;
          sr.rows.forEach(r => { const v = r.row[sr.col]; if (typeof v !== 'number') return;
            const x = 4 + (Date.parse(r.t) - t0) / (t1 - t0) * (w - 8), y = h - 6 - (v - lo) / (hi - lo) * (h - 12);
            started ? ctx.lineTo(x, y) : ctx.moveTo(x, y); started = true; });
          ctx.stroke();
        });
        c.setAttribute('data-points', rows.length);
        card.querySelector('.legend').innerHTML = series.map((sr, i) => `<span><i style="background:${palette[i % palette.length]}"></i>${sr.label}</span>`).join('')
          + (keyCol && series.length ? ` <span>${numeric[0]} by ${keyCol}</span>` : series.length > 1 ? ' <span>each scaled to its range</span>' : '');
        const table = card.querySelector('table');
        const shown = cols.slice(0, 8);
        table.innerHTML = '<thead><tr><th>System.Timestamp()</th>' + shown.map(k => `<th>${k}</th>`).join('') + '</tr></thead>';
        const body = el('tbody');
        rows.slice(-8).reverse().forEach(r => {
          const tr = el('tr');
          tr.appendChild(el('td', {}, r.t.replace('T', ' ').slice(0, 23)));
          shown.forEach(k => { const v = r.row[k]; tr.appendChild(el('td', { class: typeof v === 'number' ? 'num' : '' },
            typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(3)) : v === null || v === undefined ? '' : clip(typeof v === 'object' ? JSON.stringify(v) : v, 40))); });
          body.appendChild(tr);
        });
        table.appendChild(body);
      }
    }

    let pending = null, scheduled = false;
    function render() {
      scheduled = false;
      const u = pending;
      if (!u) return;
      updateSummary(u); updatePlan(u); updateReasons(u); updateCheckpoint(u); drawTime(); drawOutputs();
      u.notices = [];
    }

    function onUpdate(u) {
      state.timeline.push(u.time);
      if (state.timeline.length > 1200) state.timeline.shift();
      addRows(u.rows); addSamples(u.samples);
      if (pending && pending.notices) u.notices = pending.notices.concat(u.notices || []);
      pending = u;
      // However often updates come, the page draws at most once a frame.
      if (!scheduled) { scheduled = true; requestAnimationFrame(render); }
    }

    async function start() {
      state.plan = await (await fetch('api/plan' + q)).json();
      drawPlan(state.plan);
      state.plan.nodes.filter(n => n.operator === 'Sink').forEach(n => outputCard(n.output));
      const h = await (await fetch('api/history' + q)).json();
      state.timeline = h.timeline || [];
      addRows(h.rows); addSamples(h.samples); state.notices = h.notices || [];
      const es = new EventSource('api/events' + q);
      const pill = document.getElementById('connection');
      es.onopen = () => { pill.textContent = 'live'; pill.className = 'pill live'; };
      es.onerror = () => { pill.textContent = 'disconnected; retrying'; pill.className = 'pill'; };
      es.onmessage = e => onUpdate(JSON.parse(e.data));
      document.body.setAttribute('data-ready', 'true');
    }
    start();
    """#
}
