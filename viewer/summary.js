/*
 * The importcost summary page and the tabs that switch to speedscope. Plain browser JavaScript, no
 * dependencies, no network: everything comes from the #importcost-data element that
 * src/viewer/render-page.ts writes (the report, summarizePackages' rows, how to reach speedscope).
 * All text goes in through textContent, never innerHTML: module paths are untrusted input.
 * Sized for 5,000-module reports: the table renders a page of rows at a time, the growth chart is binned.
 */
(function () {
  'use strict';
  var started = performance.now();
  var root = JSON.parse(document.getElementById('importcost-data').textContent);
  // A run of several processes or threads: `?p=<label>` picks one (the picker in the bar sets it).
  var picked = new URLSearchParams(location.search).get('p');
  var data = root;
  (root.processes || []).forEach(function (p) {
    if (p.label === picked && p.data) data = p.data;
  });
  if (data.speedscope.mode === 'inline' && !data.speedscope.doc) data.speedscope = Object.assign({}, data.speedscope, { doc: root.speedscope.doc });
  var report = data.report;
  var modules = report ? report.modules : [];

  // ---- formatting: the same rules as src/analysis/names.ts (formatBytes, formatMs) -------------------
  function fmtBytes(bytes) {
    var abs = Math.abs(bytes);
    if (abs >= 1e9) return (bytes / 1e9).toFixed(2) + ' GB';
    if (abs >= 1e6) return (bytes / 1e6).toFixed(2) + ' MB';
    if (abs >= 1e3) return (bytes / 1e3).toFixed(1) + ' kB';
    return Math.round(bytes) + ' B';
  }
  function fmtMs(ms) {
    if (ms >= 1000) return (ms / 1000).toFixed(2) + ' s';
    if (ms >= 10) return ms.toFixed(0) + ' ms';
    return ms.toFixed(1) + ' ms';
  }
  function fmtPct(part, whole) {
    return whole > 0 ? ((100 * part) / whole).toFixed(1) + '%' : '-';
  }

  /** el('div', {class: 'x'}, child, 'text', ...) */
  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }

  // ---- chains and sites, as the terminal summary prints them ----------------------------------------
  var chainCache = new Map();
  function chainText(id) {
    var cached = chainCache.get(id);
    if (cached !== undefined) return cached;
    var names = [];
    for (var at = id; at !== null && at !== undefined && names.length <= modules.length; at = modules[at].parent) names.push(modules[at].name);
    var text = names.reverse().join(' \u203a ');
    chainCache.set(id, text);
    return text;
  }
  function siteText(id) {
    var m = modules[id];
    if (!m.site) return m.parent === null ? 'the entry' : '';
    // The original source's line (the .ts one) where the file was compiled or bundled with a source map.
    var at = m.site.original || m.site;
    var file = at.file;
    var cwd = report.cwd.replace(/\/$/, '') + '/';
    if (file.indexOf(cwd) === 0) file = file.slice(cwd.length);
    return file + ':' + at.line + ':' + at.column;
  }

  /** The bundle a package's files were read out of (its first module's), or null. */
  function bundleOf(pkg) {
    var first = modules[pkg.firstModule];
    return first && first.bundle !== undefined ? modules[first.bundle] : null;
  }

  // ---- tabs: the summary and one per speedscope profile ---------------------------------------------
  var SHORT = { 'Retained heap by import chain': 'Retained heap', 'Load time by import chain (self)': 'Load time', 'Load timeline': 'Timeline' };
  var views = [{ id: 'summary', label: 'Summary' }].concat(
    data.profiles.map(function (p, i) {
      return { id: 'flame-' + i, label: (SHORT[p.name] || p.name) + ' \u00b7 flamegraph', index: i };
    }),
  );
  document.getElementById('doc-title').textContent = data.source;
  if (root.processes && root.processes.length > 1) {
    var picker = el('select', { id: 'process', 'aria-label': 'process or thread' });
    root.processes.forEach(function (p) {
      var text = p.label + ' (' + p.role + ', pid ' + p.pid + (p.threadId ? ', thread ' + p.threadId : '') + ', ' + fmtBytes(p.heapBytes) + ', ' + p.modules + ' modules)';
      var option = el('option', { value: p.label }, p.data ? text : text + ' (report not found)');
      if (!p.data) option.disabled = true;
      if (p.data === data || (data === root && report && p.pid === report.process.pid && p.threadId === report.process.threadId)) option.selected = true;
      picker.appendChild(option);
    });
    picker.addEventListener('change', function () {
      var params = new URLSearchParams(location.search);
      params.set('p', picker.value);
      location.search = params.toString();
    });
    document.getElementById('bar').insertBefore(picker, document.getElementById('tabs'));
  }
  var tabs = document.getElementById('tabs');
  views.forEach(function (v) {
    var a = el('a', { href: '#' + v.id, 'data-view': v.id }, v.label);
    // Shown at once; the hash still changes (links and the back button work) and hashchange repeats it.
    a.addEventListener('click', function () { show(v.id); });
    tabs.appendChild(a);
  });
  var frames = {};
  function show(id) {
    var view = views.find(function (v) { return v.id === id; }) || views[report ? 0 : 1] || views[0];
    tabs.querySelectorAll('a').forEach(function (a) {
      if (a.getAttribute('data-view') === view.id) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    document.getElementById('summary').hidden = view.id !== 'summary';
    document.getElementById('flame').hidden = view.id === 'summary';
    Object.keys(frames).forEach(function (k) { frames[k].hidden = k !== view.id; });
    if (view.index !== undefined && !frames[view.id]) frames[view.id] = openProfile(view.index, view.id);
  }
  /** An iframe with speedscope on profile `index`, made on first visit and kept (switching back is instant). */
  function openProfile(index, id) {
    var sp = data.speedscope;
    var title = data.title + ': ' + data.profiles[index].name;
    var frame = el('iframe', { title: 'speedscope: ' + data.profiles[index].name, 'data-view': id });
    if (sp.mode === 'served') {
      frame.src = sp.index + '#profileURL=' + encodeURIComponent(sp.profilePrefix + index + '.speedscope.json') + '&title=' + encodeURIComponent(title);
    } else {
      // file://: speedscope cannot fetch, so it gets the profile as a paste (see render-page.ts).
      var text = JSON.stringify(Object.assign({}, sp.file, { activeProfileIndex: index, name: title }));
      frame.addEventListener('load', function () {
        frame.contentWindow.postMessage({ type: 'importcost-profile', text: text }, '*');
      });
      frame.srcdoc = sp.doc;
    }
    document.getElementById('flame').appendChild(frame);
    return frame;
  }
  window.addEventListener('hashchange', function () { show(location.hash.slice(1)); });

  function renderSummary() {
    var t = report.totals;
    // Shares are of what the program allocated and kept, as in the terminal summary.
    var programBytes = report.sampling.sampledBytes + report.sampling.unsampledBytes;
    var stop = report.stop;
    var stopped = stop.reason === 'exit' || stop.reason === 'crash'
      ? (stop.reason === 'crash' ? 'crashed' : 'exited') + ' with code ' + (stop.exitCode === null ? '?' : stop.exitCode)
      : 'stopped at ' + stop.reason + (stop.signal ? ' (' + stop.signal + ')' : '');
    function card(key, value, sub, name) {
      return el('div', { class: 'card', 'data-total': name }, el('div', { class: 'k' }, key), el('div', { class: 'v' }, value), sub ? el('div', { class: 's' }, sub) : null);
    }
    root.appendChild(el('div', { class: 'totals' },
      card('Heap at end of start-up', fmtBytes(t.heapBytes), fmtBytes(t.baselineBytes) + " of it Node's own", 'heapBytes'),
      card('Attributed to imports', fmtBytes(t.attributedBytes), fmtPct(t.attributedBytes, programBytes) + ' of the ' + fmtBytes(programBytes) + ' the program kept', 'attributedBytes'),
      card('Wall time', fmtMs(t.wallMs), stopped, 'wallMs'),
      card('Modules', String(t.modules), null, 'modules'),
      card('Packages', String(t.packages), null, 'packages'),
      card('Node', report.node, report.sampling.sampler + ', a sample every ' + report.sampling.intervalBytes + ' B', 'node'),
    ));
    var taken = new Date(report.createdAt);
    root.appendChild(el('div', { class: 'meta' },
      'Command ', el('code', null, report.command.join(' ')), '  in ', el('code', null, report.cwd),
      ' \u00b7 taken ' + (isNaN(taken.getTime()) ? report.createdAt : taken.toLocaleString()) + ' \u00b7 importcost ' + report.importcost,
    ));
    if (stop.error) root.appendChild(el('p', { class: 'warn' }, 'The target failed: ' + stop.error));

    var charts = el('div', { class: 'charts' });
    charts.appendChild(renderBars(programBytes));
    charts.appendChild(renderGrowth());
    root.appendChild(charts);
    renderTable(programBytes);
  }

  // ---- bar chart: top packages by retained heap, load time beside it -------------------------------
  function renderBars(programBytes) {
    var top = data.packages.slice(0, 15);
    var box = el('div', { class: 'top-packages' },
      el('h2', null, 'Top packages by retained heap', el('small', null, 'inclusive: all it loaded first')));
    if (top.length === 0) {
      box.appendChild(el('p', { class: 'note' }, 'No third-party packages were loaded.'));
      return box;
    }
    var maxBytes = Math.max.apply(null, top.map(function (p) { return p.totalBytes; }).concat(1));
    var maxMs = Math.max.apply(null, top.map(function (p) { return bundleOf(p) ? 0 : p.totalMs; }).concat(1e-9));
    var grid = el('div', { class: 'bars' },
      el('span', { class: 'hd' }, 'package'), el('span', { class: 'hd' }, 'retained heap'), el('span', { class: 'hd num' }, ''),
      el('span', { class: 'hd' }, 'load time'), el('span', { class: 'hd num' }, ''));
    top.forEach(function (p) {
      var name = el('span', { class: 'name', title: p.id + ' \u2014 ' + fmtPct(p.totalBytes, programBytes) + ' of the program heap; click to find it in the table', 'data-package': p.id }, p.id);
      name.addEventListener('click', function () { focusRow('packages', p.id); });
      grid.appendChild(name);
      grid.appendChild(el('span', { class: 'track heap' }, el('span', { class: 'fill', style: 'width:' + ((100 * Math.max(0, p.totalBytes)) / maxBytes).toFixed(2) + '%' })));
      grid.appendChild(el('span', { class: 'num' }, fmtBytes(p.totalBytes)));
      // A package inside a bundle has no load time of its own (the table's "not measured").
      var inBundle = bundleOf(p);
      grid.appendChild(el('span', { class: 'track time' }, inBundle ? null : el('span', { class: 'fill', style: 'width:' + ((100 * Math.max(0, p.totalMs)) / maxMs).toFixed(2) + '%' })));
      grid.appendChild(el('span', { class: 'num' + (inBundle ? ' note' : ''), title: inBundle ? 'in bundle ' + inBundle.name + ': not measured' : null }, inBundle ? 'n/m' : fmtMs(p.totalMs)));
    });
    box.appendChild(grid);
    return box;
  }

  // ---- heap growth over the start-up timeline, stacked by package ----------------------------------
  var PALETTE = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#f08c00', '#1098ad', '#d6336c', '#5c940d', '#7048e8', '#c2255c'];
  var OTHER = '#adb5bd';
  function groupOf(m) {
    if (m.kind === 'builtin') return 'node: builtins';
    // A bundle's own line: its text and compiled top level, which deferring nothing inside it removes.
    if (report.bundles && report.bundles.some(function (b) { return b.module === m.id; })) return 'bundle ' + m.name + ' (its text)';
    if (!m.thirdParty) return 'your code';
    return m.package ? m.package.name + '@' + m.package.version : '(no package)';
  }
  function renderGrowth() {
    var box = el('div', { class: 'growth' },
      el('h2', null, 'Heap growth over start-up', el('small', null, "retained bytes by package, placed at the start of each module's load")));
    var byGroup = new Map();
    modules.forEach(function (m) { byGroup.set(groupOf(m), (byGroup.get(groupOf(m)) || 0) + Math.max(0, m.selfBytes)); });
    var ranked = Array.from(byGroup.entries()).filter(function (e) { return e[1] > 0; }).sort(function (a, b) { return b[1] - a[1]; });
    if (ranked.length === 0) {
      box.appendChild(el('p', { class: 'note' }, 'No module retained any sampled heap.'));
      return box;
    }
    var shown = ranked.slice(0, PALETTE.length - (ranked.length > PALETTE.length ? 1 : 0));
    var series = shown.map(function (e, i) { return { name: e[0], bytes: e[1], color: PALETTE[i] }; });
    if (ranked.length > shown.length) {
      series.push({ name: (ranked.length - shown.length) + ' more', bytes: ranked.slice(shown.length).reduce(function (s, e) { return s + e[1]; }, 0), color: OTHER });
    }
    var index = new Map(series.map(function (s, i) { return [s.name, i]; }));
    var otherIndex = series.length - 1;

    var W = 640, H = 250, L = 58, R = 10, T = 8, B = 26, BINS = 320;
    var tMax = report.totals.wallMs;
    modules.forEach(function (m) { if (m.startMs > tMax) tMax = m.startMs; });
    if (!(tMax > 0)) tMax = 1;
    // cum[s][b]: bytes of series s from modules that started at or before the end of bin b.
    var cum = series.map(function () { return new Float64Array(BINS); });
    modules.forEach(function (m) {
      if (m.selfBytes <= 0) return;
      var s = index.has(groupOf(m)) ? index.get(groupOf(m)) : otherIndex;
      var b = Math.min(BINS - 1, Math.max(0, Math.floor((m.startMs / tMax) * BINS)));
      cum[s][b] += m.selfBytes;
    });
    cum.forEach(function (c) { for (var b = 1; b < BINS; b++) c[b] += c[b - 1]; });
    var yMax = 0;
    for (var b = 0; b < BINS; b++) {
      var sum = 0;
      for (var s = 0; s < series.length; s++) sum += cum[s][b];
      if (sum > yMax) yMax = sum;
    }
    var step = niceStep(yMax / 4);
    yMax = Math.max(step, Math.ceil(yMax / step) * step);
    var x = function (bin) { return L + ((bin + 1) / BINS) * (W - L - R); };
    var y = function (v) { return T + (1 - v / yMax) * (H - T - B); };

    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'heap growth over start-up by package' });
    for (var v = 0; v <= yMax + 1e-6; v += step) {
      chart.appendChild(svg('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      var label = svg('text', { x: L - 6, y: y(v) + 3, 'text-anchor': 'end' });
      label.textContent = fmtBytes(v);
      chart.appendChild(label);
    }
    var tStep = niceStep(tMax / 6);
    for (var tt = 0; tt <= tMax + 1e-6; tt += tStep) {
      var tx = L + (tt / tMax) * (W - L - R);
      var tl = svg('text', { x: tx, y: H - 8, 'text-anchor': 'middle' });
      tl.textContent = fmtMs(tt);
      chart.appendChild(tl);
    }
    // Stacked areas, the biggest series at the bottom.
    var lower = new Float64Array(BINS);
    series.forEach(function (sr, si) {
      var upper = new Float64Array(BINS);
      for (var b = 0; b < BINS; b++) upper[b] = lower[b] + cum[si][b];
      var d = 'M' + L + ',' + y(0);
      for (var b2 = 0; b2 < BINS; b2++) d += 'L' + x(b2).toFixed(1) + ',' + y(upper[b2]).toFixed(1);
      for (var b3 = BINS - 1; b3 >= 0; b3--) d += 'L' + x(b3).toFixed(1) + ',' + y(lower[b3]).toFixed(1);
      var path = svg('path', { d: d + 'Z', fill: sr.color, 'fill-opacity': '0.85', 'data-series': sr.name });
      var tip = svg('title', {});
      tip.textContent = sr.name + ': ' + fmtBytes(sr.bytes);
      path.appendChild(tip);
      chart.appendChild(path);
      lower = upper;
    });
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: W - R, y1: y(0), y2: y(0) }));
    chart.appendChild(svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: y(0) }));
    box.appendChild(chart);
    var legend = el('div', { class: 'legend' });
    series.forEach(function (sr) {
      legend.appendChild(el('span', { style: '--c:' + sr.color }, sr.name + ' ' + fmtBytes(sr.bytes)));
    });
    box.appendChild(legend);
    return box;
  }
  function niceStep(raw) {
    if (!(raw > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }

  // ---- the table: packages or modules, sortable and filterable --------------------------------------
  var table;
  function renderTable(programBytes) {
    var bytesCol = function (key, label) { return { key: key, label: label, num: true, value: function (r) { return r[key]; }, text: fmtBytes }; };
    // What not loading it at start-up would save (reports from before the import graph: the inclusive bytes).
    var deferCol = function (key) {
      return { key: key, label: 'Defer saves', num: true, value: function (r) { return r[key] === undefined ? r.totalBytes : r[key]; }, text: fmtBytes };
    };
    var msCol = function (key, label) { return { key: key, label: label, num: true, value: function (r) { return r[key]; }, text: fmtMs }; };
    // Inside a bundle, nothing times a file's load: the bundle's load holds them all (as the terminal summary says).
    var pkgMsCol = function (key, label) {
      var c = msCol(key, label);
      c.text = function (v, r) { return bundleOf(r) ? el('span', { class: 'note' }, 'not measured') : fmtMs(v); };
      return c;
    };
    var COLUMNS = {
      packages: [
        { key: 'id', label: 'Package', cls: 'name', value: function (r) { return r.id; }, text: function (v, r) {
          var b = bundleOf(r);
          return b ? el('span', null, v, ' ', el('span', { class: 'tag', title: 'its files were read out of this bundle through its source map' }, 'in bundle ' + b.name)) : v;
        } },
        bytesCol('totalBytes', 'Retained incl.'),
        deferCol('deferBytes'),
        bytesCol('selfBytes', 'Retained self'),
        { key: 'share', label: 'Share', num: true, value: function (r) { return programBytes > 0 ? r.totalBytes / programBytes : 0; }, text: function (v, r) { return fmtPct(r.totalBytes, programBytes); } },
        pkgMsCol('totalMs', 'Load incl.'),
        pkgMsCol('selfMs', 'Load self'),
        { key: 'modules', label: 'Files', num: true, value: function (r) { return r.modules; }, text: String },
        { key: 'chain', label: 'Import chain (first load)', cls: 'chain', value: function (r) { return chainText(r.firstModule); } },
        { key: 'site', label: 'Import site', cls: 'site', value: function (r) { return siteText(r.firstModule); } },
      ],
      modules: [
        { key: 'name', label: 'Module', cls: 'name', value: function (r) { return r.name; } },
        { key: 'kind', label: 'Kind', value: function (r) { return r.kind + (r.ok ? '' : ' (threw)'); }, text: function (v, r) {
          return r.bundle === undefined ? v : el('span', null, v, ' ', el('span', { class: 'tag', title: 'read out of this bundle through its source map' }, 'in bundle ' + modules[r.bundle].name));
        } },
        bytesCol('selfBytes', 'Retained self'),
        bytesCol('totalBytes', 'Retained incl.'),
        deferCol('exclusiveBytes'),
        { key: 'share', label: 'Share', num: true, value: function (r) { return programBytes > 0 ? r.selfBytes / programBytes : 0; }, text: function (v, r) { return fmtPct(r.selfBytes, programBytes); } },
        msCol('selfMs', 'Load self'),
        msCol('totalMs', 'Load incl.'),
        msCol('startMs', 'Starts at'),
        { key: 'chain', label: 'Import chain', cls: 'chain', value: function (r) { return chainText(r.id); } },
        { key: 'site', label: 'Import site', cls: 'site', value: function (r) { return siteText(r.id); } },
      ],
    };
    var ROWS = { packages: data.packages, modules: modules };
    var PAGE = 200;
    var state = { kind: 'packages', sort: { packages: ['totalBytes', -1], modules: ['selfBytes', -1] }, filter: '', limit: PAGE, focus: null };
    var searchText = { packages: new Map(), modules: new Map() };
    function haystack(kind, r) {
      var key = r.id;
      var cached = searchText[kind].get(key);
      if (cached === undefined) {
        var bundle = kind === 'packages' ? bundleOf(r) : r.bundle === undefined ? null : modules[r.bundle];
        cached = (kind === 'packages'
          ? r.id + ' ' + chainText(r.firstModule) + ' ' + siteText(r.firstModule)
          : r.name + ' ' + r.path + ' ' + chainText(r.id) + ' ' + siteText(r.id)) + (bundle ? ' in bundle ' + bundle.name : '');
        cached = cached.toLowerCase();
        searchText[kind].set(key, cached);
      }
      return cached;
    }

    var heading = el('h2', null, 'Packages and modules');
    var seg = el('span', { class: 'seg', role: 'group', 'aria-label': 'rows' });
    ['packages', 'modules'].forEach(function (kind) {
      var b = el('button', { type: 'button', 'data-kind': kind }, kind === 'packages' ? 'Packages (' + data.packages.length + ')' : 'Modules (' + modules.length + ')');
      b.addEventListener('click', function () { state.kind = kind; state.limit = PAGE; draw(); });
      seg.appendChild(b);
    });
    var search = el('input', { type: 'search', placeholder: 'filter by name, path, chain or site', 'aria-label': 'filter' });
    search.addEventListener('input', function () { state.filter = search.value.trim().toLowerCase(); state.limit = PAGE; draw(); });
    var count = el('span', { class: 'note' });
    var tbl = el('table', { class: 'rows' });
    var thead = el('thead');
    var tbody = el('tbody');
    tbl.appendChild(thead);
    tbl.appendChild(tbody);
    var more = el('div', { class: 'more' });
    root.appendChild(heading);
    root.appendChild(el('div', { class: 'tools' }, seg, search, count));
    root.appendChild(tbl);
    root.appendChild(more);

    function draw() {
      var cols = COLUMNS[state.kind];
      var sort = state.sort[state.kind];
      seg.querySelectorAll('button').forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-kind') === state.kind)); });
      tbl.setAttribute('data-kind', state.kind);
      var head = el('tr');
      cols.forEach(function (c) {
        var th = el('th', { class: c.num ? 'num' : null, 'data-key': c.key, 'aria-sort': sort[0] === c.key ? (sort[1] < 0 ? 'descending' : 'ascending') : null, title: 'sort by ' + c.label }, c.label);
        th.addEventListener('click', function () {
          // Numbers sort biggest first on the first click, text A to Z.
          state.sort[state.kind] = sort[0] === c.key ? [c.key, -sort[1]] : [c.key, c.num ? -1 : 1];
          draw();
        });
        head.appendChild(th);
      });
      thead.replaceChildren(head);

      var all = ROWS[state.kind];
      var rows = state.filter ? all.filter(function (r) { return haystack(state.kind, r).indexOf(state.filter) !== -1; }) : all.slice();
      var col = cols.find(function (c) { return c.key === sort[0]; });
      var dir = sort[1];
      var keyed = rows.map(function (r) { return [col.value(r), r]; });
      keyed.sort(function (a, b) {
        var va = a[0], vb = b[0];
        var d = typeof va === 'number' ? va - vb : String(va).localeCompare(String(vb));
        return d * dir;
      });
      var frag = document.createDocumentFragment();
      var n = Math.min(keyed.length, state.limit);
      for (var i = 0; i < n; i++) {
        var r = keyed[i][1];
        var rowKey = state.kind === 'packages' ? r.id : String(r.id);
        var tr = el('tr', { 'data-row': rowKey });
        if (state.focus === rowKey) tr.className = 'flash';
        for (var j = 0; j < cols.length; j++) {
          var c = cols[j];
          var v = c.value(r);
          tr.appendChild(el('td', { class: (c.num ? 'num ' : '') + (c.cls || ''), 'data-key': c.key, 'data-value': typeof v === 'number' ? String(v) : null },
            c.text ? c.text(v, r) : String(v)));
        }
        frag.appendChild(tr);
      }
      tbody.replaceChildren(frag);
      count.textContent = keyed.length === all.length ? all.length + ' ' + state.kind : keyed.length + ' of ' + all.length + ' ' + state.kind;
      more.replaceChildren();
      if (keyed.length > n) {
        var btn = el('button', { type: 'button' }, 'Show all ' + keyed.length + ' (showing ' + n + ')');
        btn.addEventListener('click', function () { state.limit = Infinity; draw(); });
        more.appendChild(btn);
      }
    }
    table = {
      focus: function (kind, key) {
        state.kind = kind;
        state.filter = '';
        search.value = '';
        state.limit = Infinity;
        state.focus = key;
        draw();
        var row = tbody.querySelector('tr.flash');
        if (row) row.scrollIntoView({ block: 'center' });
      },
    };
    draw();
  }
  function focusRow(kind, key) {
    if (table) table.focus(kind, key);
  }

  // ---- importcost defer: measured against predicted, first use, the change ---------------------------
  function relFile(file, cwd) {
    var dir = String(cwd || '').replace(/\/$/, '') + '/';
    return file.indexOf(dir) === 0 ? file.slice(dir.length) : file;
  }
  function renderDefer(defer) {
    var box = el('section', { class: 'defer', 'aria-label': 'defer' });
    var a = defer.asIs;
    box.appendChild(el('h2', null, 'Defer: measured against predicted',
      el('small', null, a.runs + ' run' + (a.runs === 1 ? '' : 's') + ' each, as it is and with the imports deferred; heap at the stop point after a full GC (measured, not sampled); medians')));
    if (a.runs > 0) {
      var answered = a.outcome.status !== undefined ? ', answered ' + (defer.request ? 'GET ' + defer.request.path : 'the request') + ' with ' + (a.outcome.status === null ? 'nothing' : 'HTTP ' + a.outcome.status) : '';
      box.appendChild(el('p', { class: 'note', 'data-defer': 'as-is' },
        'As it is: ' + fmtBytes(a.heapBytes.median) + ' heap (' + fmtBytes(a.heapBytes.min) + '..' + fmtBytes(a.heapBytes.max) + '), ' +
        fmtMs(a.loadMs.median) + ' load; stopped at ' + a.outcome.stopReason + answered + '.'));
    }
    if (defer.packages.length === 0) {
      box.appendChild(el('p', { class: 'note' }, 'Nothing to defer: no package your own files import would leave start-up.'));
      return box;
    }
    var scale = 1;
    defer.packages.forEach(function (p) {
      scale = Math.max(scale, p.predicted.bytes, p.measured ? Math.max(p.measured.bytes, p.measured.bytesRange[1]) : 0);
    });
    var width = function (bytes) { return ((100 * Math.max(0, bytes)) / scale).toFixed(2) + '%'; };
    defer.packages.forEach(function (p) {
      var state = p.stillStarts === null ? 'not measured' : p.stillStarts ? 'still starts' : 'broke';
      var card = el('article', { class: 'defer-card ' + (p.stillStarts === false ? 'broken' : p.firstUse.phase === 'startup' ? 'startup-use' : ''), 'data-package': p.name });
      card.appendChild(el('h3', null, p.name + '@' + p.version, el('span', { class: 'badge ' + state.replace(' ', '-') }, state)));
      var bars = el('div', { class: 'defer-bars' });
      bars.appendChild(el('span', { class: 'k' }, 'predicted'));
      bars.appendChild(el('span', { class: 'track' }, el('span', { class: 'fill predicted', style: 'width:' + width(p.predicted.bytes) })));
      bars.appendChild(el('span', { class: 'num', 'data-value': String(p.predicted.bytes) }, fmtBytes(p.predicted.bytes) + ', ' + fmtMs(p.predicted.ms)));
      bars.appendChild(el('span', { class: 'k' }, 'measured'));
      if (p.measured) {
        var m = p.measured;
        var track = el('span', { class: 'track' }, el('span', { class: 'fill measured', style: 'width:' + width(m.bytes) }));
        track.appendChild(el('span', { class: 'whisker', style: 'left:' + width(m.bytesRange[0]) + ';width:calc(' + width(m.bytesRange[1]) + ' - ' + width(m.bytesRange[0]) + ')' }));
        bars.appendChild(track);
        bars.appendChild(el('span', { class: 'num', 'data-value': String(m.bytes) },
          fmtBytes(m.bytes) + ' (' + fmtBytes(m.bytesRange[0]) + '..' + fmtBytes(m.bytesRange[1]) + '), ' + fmtMs(m.ms) + ' in ' + m.runs + ' run' + (m.runs === 1 ? '' : 's')));
      } else {
        bars.appendChild(el('span', { class: 'track' }));
        bars.appendChild(el('span', { class: 'num' }, p.stillStarts === false ? 'did not start' : 'not measurable in place'));
      }
      card.appendChild(bars);
      var u = p.firstUse;
      var use = u.phase === 'never' ? (p.stillStarts === null ? 'not run deferred' : 'not used in the run')
        : (u.phase === 'startup' ? 'during start-up' : 'after start-up') + (u.site ? ' at ' + relFile(u.site.file, defer.cwd) + ':' + u.site.line + ':' + u.site.column : '') + (u.how ? ' (' + u.how + ')' : '');
      card.appendChild(el('p', { class: 'first-use' }, el('b', null, 'First use: '), use));
      card.appendChild(el('p', { class: 'defer-note' }, p.note));
      p.suggestions.forEach(function (sg) {
        var pre = el('pre', { class: 'change' });
        sg.before.split('\n').forEach(function (line) { pre.appendChild(el('span', { class: 'del' }, '- ' + line + '\n')); });
        sg.after.split('\n').forEach(function (line) { pre.appendChild(el('span', { class: 'add' }, '+ ' + line + '\n')); });
        card.appendChild(el('div', { class: 'suggestion' }, el('div', { class: 'where' }, 'Change at ' + relFile(sg.file, defer.cwd) + ':' + sg.line), pre));
      });
      box.appendChild(card);
    });
    return box;
  }

  // ---- start: every function and constant above is defined by now -----------------------------------
  var root = document.getElementById('summary');
  if (data.defer) root.appendChild(renderDefer(data.defer));
  if (!report && data.defer) {
    root.appendChild(el('p', { class: 'note' }, 'The profile report this defer file names (' + (data.defer.report ? data.defer.report.file : 'none') +
      ') is not beside it, or is from a later run: view it on its own for the full summary.'));
  } else if (!report) {
    root.appendChild(el('p', { class: 'warn' },
      data.source + ' is a speedscope file: its flamegraphs are in the tabs above. The summary needs the ' +
      '.importcost.json written beside it (importcost view <name>.importcost.json).'));
  } else {
    renderSummary();
  }
  show(location.hash.slice(1));
  var renderMs = performance.now() - started;
  window.__importcost = { renderMs: renderMs };
  document.documentElement.setAttribute('data-ready', '1');
})();
