# ruff: noqa: E501 - JavaScript source, kept readable rather than wrapped for Python
"""The measuring script run in the page Marp CLI produced (kept as a .py so it ships with the package)."""

MEASURE_JS = r"""
// Runs in the page Marp CLI produced. For every slide's content section,
// returns what a reader would miss: overflow, clipping, shrunk code,
// low-contrast text, images that did not load. Numbers are in slide px.
async (opts) => {
  // Marp's auto-scaling elements (<marp-pre>, fitted headings) size their SVG
  // in ResizeObserver callbacks, which run with a rendering frame. Usually one
  // ran before `load`; wait for frames only while one is still due (a web font
  // that just arrived changes sizes too), not a fixed two frames per deck.
  const fontsPending = document.fonts.status !== 'loaded';
  await document.fonts.ready;
  // Marp sizes each drawing from its content in a ResizeObserver callback;
  // until one has run on the laid-out content its box is missing, empty
  // (`0 0 0 0`, from a callback that ran before layout) or of another height.
  const unsettled = () => [...document.querySelectorAll('[data-auto-scaling]')].some((host) => {
    const inner = host.shadowRoot && host.shadowRoot.querySelector('marp-auto-scaling');
    const svg = inner && inner.shadowRoot && inner.shadowRoot.querySelector('svg');
    if (!svg) return true;
    const box = (svg.getAttribute('viewBox') || '').split(/[ ,]+/).map(Number);
    const content = svg.querySelector(':scope > foreignObject > *');
    const height = content ? content.offsetHeight : 0;
    if (box.length !== 4 || !(box[2] > 0) || !(box[3] > 0)) return height > 0;
    return Math.abs(box[3] - height) > 1;
  });
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  if (fontsPending) await frame();
  for (let i = 0; i < 10 && unsettled(); i++) await frame();
  const tol = opts.tolerance;
  const REPLACED = new Set(['IMG', 'SVG', 'VIDEO', 'CANVAS', 'IFRAME', 'OBJECT', 'EMBED', 'INPUT', 'svg']);
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (fg, bg) => [0, 1, 2].map((i) => fg[i] * fg[3] + bg[i] * (1 - fg[3]));
  const lum = (c) => {
    const ch = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const styles = new Map();
  const style = (el) => { let s = styles.get(el); if (!s) { s = getComputedStyle(el); styles.set(el, s); } return s; };
  const text = (el) => (el.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 60);
  const svgs = [...document.querySelectorAll('svg[data-marpit-svg]')];
  const out = [];
  const contentOf = (svg) => {
    const sections = [...svg.querySelectorAll(':scope > foreignObject > section')];
    return sections.find((s) => !['background', 'pseudo'].includes(s.dataset.marpitAdvancedBackground)) || sections[0];
  };
  // The page number is the section's ::after, which has no box to measure: a
  // stand-in with its styles goes into every paginated slide at once (one
  // layout for all, not one per slide), and out again at the end.
  // Every style is read before any probe goes in: a read after a change
  // would lay out the whole document again, once per slide.
  const probes = new Map();
  const PROBE_STYLE = ['position', 'top', 'right', 'bottom', 'left', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
    'margin-top', 'margin-right', 'margin-bottom', 'margin-left', 'font-family', 'font-size', 'font-weight', 'line-height',
    'letter-spacing', 'box-sizing', 'display', 'width', 'height', 'white-space', 'text-align'];
  const pending = [];
  // Under an image background (`![bg]`) Marp draws the page number on a
  // layer of its own above the content: the probe goes where it is drawn.
  const pageOf = (svg, sec) => svg.querySelector(':scope > foreignObject > section[data-marpit-advanced-background="pseudo"]') || sec;
  for (const svg of svgs) {
    const sec = contentOf(svg);
    if (!sec) continue;
    const home = pageOf(svg, sec);
    if (!home.hasAttribute('data-marpit-pagination')) continue;
    const a = getComputedStyle(home, '::after');
    // A page number is the pagination attribute drawn (Chromium resolves
    // attr() in the computed content) and not blurred past reading: a theme
    // that reuses ::after for decoration (a blurred glow, an empty shape)
    // shows none, whatever Marp puts in it.
    const content = a.content || '';
    const blur = /blur\(([\d.]+)px\)/.exec(a.filter || '');
    if (!(content.includes(home.getAttribute('data-marpit-pagination')) || /attr\(\s*data-marpit-pagination/.test(content))
        || (blur && parseFloat(blur[1]) >= 0.2 * parseFloat(a.fontSize))
        || a.display === 'none' || a.visibility !== 'visible'
        || !['absolute', 'fixed'].includes(a.position)) continue;
    // A theme that reuses ::after for a decoration (a glow, a bar) and hides
    // the number in it (empty content, transparent text) shows no page number.
    const ink = parse(a.color);
    if (['""', "''"].includes(a.content) || !ink || ink[3] * parseFloat(a.opacity) < 0.05) continue;
    pending.push([sec, home, a.content, PROBE_STYLE.map((p) => a.getPropertyValue(p)), a.color, parseFloat(a.opacity)]);
  }
  // The probe itself is transparent (it must not paint over the real page
  // number); the contrast check takes the page number's own colour.
  const pageColours = new Map();
  const pseudoPaint = new Map();
  for (const [sec, home, content, values, color, opacity] of pending) {
    const probe = document.createElement('span');
    PROBE_STYLE.forEach((p, i) => probe.style.setProperty(p, values[i]));
    probe.style.setProperty('color', 'transparent');
    const total = home.getAttribute('data-marpit-pagination-total');
    probe.textContent = home.getAttribute('data-marpit-pagination') + (/total/.test(content) && total ? ' / ' + total : '');
    probe.setAttribute('data-marpkit-probe', '');
    home.appendChild(probe);
    probes.set(sec, probe);
    pageColours.set(probe, { color, opacity });
  }
  svgs.forEach((svg, index) => {
    const sec = contentOf(svg);
    if (!sec) return;
    const sr = sec.getBoundingClientRect();
    const scale = sr.width / sec.offsetWidth || 1;
    const cs = style(sec);
    const kids = [...sec.children].filter((c) => !['HEADER', 'FOOTER', 'STYLE', 'SCRIPT'].includes(c.tagName));
    const topOf = (el) => { let e = el; while (e && e.parentElement !== sec) e = e.parentElement; return e; };
    // The outermost element a Markdown block renders to, also inside the raw
    // HTML a deck wraps blocks in (<div class="columns">): Markdown inside such
    // a wrapper is still a top-level block of the source, so the nth block of
    // its kind in the section is the nth in the slide's Markdown.
    const BLOCKS = 'h1, h2, h3, h4, h5, h6, p, ul, ol, blockquote, table, pre, marp-pre, hr';
    const blockOf = (el) => {
      let b = null;
      for (let e = el; e && e !== sec; e = e.parentElement) if (e.matches && e.matches(BLOCKS)) b = e;
      return b;
    };
    const where = (el) => {
      const t = topOf(el), i = kids.indexOf(t);
      const nth = i < 0 ? null : kids.slice(0, i).filter((k) => k.tagName === t.tagName).length;
      const chrome = el.closest && el.closest('header, footer');
      const b = blockOf(el);
      const block = b && b !== t ? {
        block_tag: b.tagName.toLowerCase(),
        nth_block: [...sec.querySelectorAll(b.tagName)].filter((x) => blockOf(x) === x).indexOf(b),
      } : {};
      return {
        ...block,
        top: i, nth_of_tag: nth, top_tag: t ? t.tagName.toLowerCase() : null, tag: el.tagName.toLowerCase(), text: text(el),
        chrome: el.hasAttribute && el.hasAttribute('data-marpkit-probe') ? 'pagination'
          : chrome && chrome.closest('section') === sec ? chrome.tagName.toLowerCase() : null,
      };
    };
    const frame = svg.getBoundingClientRect();
    const slide = { index: index + 1, width: sec.offsetWidth, height: sec.offsetHeight, frame: frame.width, items: [] };
    out.push(slide);
    // What the audience cannot see. Every painted thing is measured on its
    // own: each line box of text (a Range's rects, so a 200-column line in a
    // <pre> counts, not just the <pre>'s box) and each replaced element. It is
    // cut off when it runs past the slide's edge, when an ancestor with
    // overflow hidden/auto/scroll clips it, or when it sits under the header,
    // footer or page number. Entering the section's padding is not an error.
    const hiddenCache = new Map();
    const paintsNothing = (el) => {
      if (hiddenCache.has(el)) return hiddenCache.get(el);
      const s = style(el);
      let v = parseFloat(s.opacity) === 0 || (s.clip && s.clip !== 'auto' && s.clip !== 'rect(auto, auto, auto, auto)')
        || el.classList.contains('katex-mathml') || el.tagName === 'MJX-ASSISTIVE-MML';
      if (!v && el !== sec && el.parentElement) v = paintsNothing(el.parentElement);
      hiddenCache.set(el, v);
      return v;
    };
    // A drawing's ink, not its box: MathJax's svg for a centred formula is as
    // wide as the slide, the formula in its middle; a drawing with nothing
    // drawn in it (a bare \def) has no ink at all.
    const DRAWN = 'path, use, rect, circle, ellipse, line, polyline, polygon, text, image, foreignObject';
    const inkOf = (svg) => {
      let u = null;
      for (const e of svg.querySelectorAll(DRAWN)) {
        const b = e.getBoundingClientRect();
        if (b.width <= 0.5 && b.height <= 0.5) continue;
        u = u ? { left: Math.min(u.left, b.left), top: Math.min(u.top, b.top), right: Math.max(u.right, b.right), bottom: Math.max(u.bottom, b.bottom) }
          : { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
      }
      if (!u) return null;
      const r = svg.getBoundingClientRect();  // what the svg clips its drawing to
      u = { left: Math.max(u.left, r.left), top: Math.max(u.top, r.top), right: Math.min(u.right, r.right), bottom: Math.min(u.bottom, r.bottom) };
      return u.right > u.left && u.bottom > u.top ? { ...u, width: u.right - u.left, height: u.bottom - u.top } : null;
    };
    const range = document.createRange();
    const textRects = (root) => {
      const rects = [];
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || !n.textContent.trim() || ['STYLE', 'SCRIPT', 'TEMPLATE'].includes(el.tagName)) continue;
        if (style(el).visibility !== 'visible' || paintsNothing(el)) continue;
        range.selectNodeContents(n);
        for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5) rects.push({ el, r });
      }
      return rects;
    };
    const union = (rs) => {
      if (!rs.length) return null;
      const u = rs.reduce((a, { r }) => ({
        left: Math.min(a.left, r.left), top: Math.min(a.top, r.top), right: Math.max(a.right, r.right), bottom: Math.max(a.bottom, r.bottom),
      }), { left: Infinity, top: Infinity, right: -Infinity, bottom: -Infinity });
      // A line's height, not the block's: what the ink margin is measured against.
      return { ...u, height: Math.min(...rs.map(({ r }) => r.height)) };
    };
    const chrome = [];
    // Marp puts header and footer first in the section; unclosed raw HTML
    // before them can still swallow them, so look for them anywhere.
    const chromeEls = [...sec.querySelectorAll('header, footer')].filter((e) => e.closest('section') === sec);
    for (const el of chromeEls) {
      const u = union(textRects(el));
      if (u) chrome.push({ name: el.tagName.toLowerCase(), r: u });
    }
    const probe = probes.get(sec);
    if (probe) {
      const u = union(textRects(probe));
      if (u) chrome.push({ name: 'page number', r: u });
    }
    const painted = textRects(sec).filter(({ el }) => el !== probe && !chromeEls.some((c) => c.contains(el)));
    const words = painted.slice();
    for (const el of sec.querySelectorAll('img, svg, video, canvas, iframe, object, embed')) {
      const outer = el.parentElement && el.parentElement.closest('svg');
      if (outer && sec.contains(outer)) continue;  // a part of a drawing, measured with it
      if (style(el).visibility !== 'visible' || paintsNothing(el)) continue;
      const r = el.tagName.toLowerCase() === 'svg' ? inkOf(el) : el.getBoundingClientRect();
      // A box of a pixel or two shows nothing.
      if (r && r.width > 2 * scale && r.height > 2 * scale) painted.push({ el, r });
    }
    // Painted boxes (a code block's background and border, a callout's
    // fill): the header, footer or page number drawn over one is a collision
    // the audience sees even where the text inside keeps clear of it. A box
    // that paints nothing, or only the colour already behind it, does not count.
    const boxes = [];
    const behind = parse(cs.backgroundColor);
    const shows = (c) => { const p = parse(c); return !!p && p[3] > 0.05; };
    const fills = (s) => {
      if (s.backgroundImage && s.backgroundImage !== 'none') return true;
      const p = parse(s.backgroundColor);
      if (!p || p[3] <= 0.05) return false;
      return !(behind && behind[3] >= 1 && p[3] >= 1 && [0, 1, 2].every((i) => Math.abs(p[i] - behind[i]) < 3));
    };
    const framed = (s) => ['Top', 'Right', 'Bottom', 'Left'].some((side) => parseFloat(s['border' + side + 'Width']) > 0
      && !['none', 'hidden'].includes(s['border' + side + 'Style']) && shows(s['border' + side + 'Color']));
    if (chrome.length) {
      for (const el of sec.querySelectorAll('*')) {
        if (el === probe || chromeEls.some((c) => c.contains(el)) || REPLACED.has(el.tagName)) continue;
        const drawing = el.closest('svg, math, mjx-container, .katex');
        if (drawing && sec.contains(drawing)) continue;  // drawn as a whole, measured as ink
        const s = style(el);
        if (s.display === 'none' || s.visibility !== 'visible' || !(fills(s) || framed(s)) || paintsNothing(el)) continue;
        const r = el.getBoundingClientRect();
        if (r.width > 2 * scale && r.height > 2 * scale) boxes.push({ el, r });
      }
    }
    const clipper = (el) => {
      for (let a = el; a && a !== sec; a = a.parentElement) {
        const s = style(a);
        const x = s.overflowX !== 'visible', y = s.overflowY !== 'visible';
        if (!x && !y) continue;
        // A box of a pixel or two that hides its overflow is a screen-reader-only copy.
        if (a.clientWidth <= 2 || a.clientHeight <= 2) return { hidden: true };
        return { a, x, y };
      }
      return null;
    };
    // One item per top-level block: off the slide beats clipped beats under the chrome.
    const cut = new Map();
    const rank = { edge: 3, clip: 2, chrome: 1, overlap: 0 };
    const note = (el, item) => {
      const key = topOf(el) || el;
      const old = cut.get(key);
      if (!old || rank[item.reason] > rank[old.item.reason] || (old.item.reason === item.reason && old.item.amount < item.amount)) {
        cut.set(key, { el, item });  // placed (where) once, when it is final
      }
    };
    // Whether the header, footer or page number is drawn over a painted rect.
    const underChrome = (el, r) => {
      for (const ch of chrome) {
        const w = (Math.min(r.right, ch.r.right) - Math.max(r.left, ch.r.left)) / scale;
        const h = (Math.min(r.bottom, ch.r.bottom) - Math.max(r.top, ch.r.top)) / scale;
        // Text boxes carry the font's ascent and descent above and below the
        // ink: stacked lines (or a box and a line) may share that margin without touching.
        const margin = 0.35 * Math.min(r.height, ch.r.height) / scale;
        if (w > tol && h > Math.max(tol, margin)) { note(el, { reason: 'chrome', under: ch.name, amount: h }); return; }
      }
    };
    for (const { el, r } of painted) {
      const past = {
        right: (r.right - sr.right) / scale, below: (r.bottom - sr.bottom) / scale,
        left: (sr.left - r.left) / scale, above: (sr.top - r.top) / scale,
      };
      const edge = Object.entries(past).filter(([, v]) => v > tol).sort((p, q) => q[1] - p[1])[0];
      const c = clipper(el);
      if (c && c.hidden) continue;
      if (c) {
        const cr = c.a.getBoundingClientRect();
        const left = cr.left + c.a.clientLeft * scale, top = cr.top + c.a.clientTop * scale;
        const right = left + c.a.clientWidth * scale, bottom = top + c.a.clientHeight * scale;
        const hx = c.x ? Math.max(r.right - right, left - r.left) / scale : 0;
        const hy = c.y ? Math.max(r.bottom - bottom, top - r.top) / scale : 0;
        if (Math.max(hx, hy) > tol) {
          const item = { reason: 'clip', amount: Math.max(hx, hy), container: c.a.tagName.toLowerCase(), scrolls: style(c.a).overflowX !== 'hidden' && style(c.a).overflowX !== 'clip' };
          if (c.a.tagName === 'TABLE') {
            const heads = c.a.rows.length ? [...c.a.rows[0].cells] : [];
            item.columns = heads.length;
            item.hidden_columns = heads.filter((h) => h.getBoundingClientRect().right > right + tol).map((h) => text(h));
          }
          note(c.a, item);
          continue;
        }
      }
      if (edge) { note(el, { reason: 'edge', side: edge[0], amount: edge[1] }); continue; }
      underChrome(el, r);
    }
    for (const { el, r } of boxes) {
      const c = clipper(el);
      if (c && c.hidden) continue;
      let { left, top, right, bottom } = r;
      if (c) {
        // Only the part of the box its clipping ancestor lets through is painted.
        const cr = c.a.getBoundingClientRect();
        if (c.x) { left = Math.max(left, cr.left); right = Math.min(right, cr.right); }
        if (c.y) { top = Math.max(top, cr.top); bottom = Math.min(bottom, cr.bottom); }
      }
      underChrome(el, { left, top, right, bottom, height: bottom - top });
    }
    // Text drawn over other text (a big decorative number over the heading).
    // Ordinary layouts never do it, so the rule is strict: two line boxes of
    // different top-level elements whose middles (a line box carries the
    // font's ascent and descent around the ink) overlap by a quarter of the
    // smaller line's height both ways, both drawn in ink at least 30% opaque.
    // Math is left out: its engines stack boxes (limits, fractions) by design.
    const inkCache = new Map();
    const inked = (el) => {
      if (inkCache.has(el)) return inkCache.get(el);
      let a = 1;
      for (let e = el; e && e !== sec.parentElement; e = e.parentElement) a *= parseFloat(style(e).opacity);
      const c = parse(style(el).color);
      const v = !!c && c[3] * a >= 0.3 && !(el.closest && el.closest('.katex, mjx-container'));
      inkCache.set(el, v);
      return v;
    };
    const lines = words.filter(({ el }) => inked(el)).map(({ el, r }) => {
      const inset = 0.2 * r.height;
      return { el, top: topOf(el), r, t: r.top + inset, b: r.bottom - inset };
    }).sort((p, q) => p.t - q.t);
    const positioned = (x) => { for (let e = x.el; e && e !== sec; e = e.parentElement) if (style(e).position !== 'static') return true; return false; };
    const pairs = new Set();
    for (let i = 0; i < lines.length; i++) {
      const p = lines[i];
      for (let j = i + 1; j < lines.length && lines[j].t < p.b; j++) {
        const q = lines[j];
        if (p.top === q.top) continue;
        const least = Math.min(p.r.height, q.r.height) / 4;
        const w = (Math.min(p.r.right, q.r.right) - Math.max(p.r.left, q.r.left)) / scale;
        const h = (Math.min(p.b, q.b) - Math.max(p.t, q.t)) / scale;
        if (w <= Math.max(tol, least / scale) || h <= Math.max(tol, least / scale)) continue;
        // The one drawn over is the earlier in the page, unless only the
        // later stays in the flow (a positioned element paints on top).
        let [under, over] = p.el.compareDocumentPosition(q.el) & Node.DOCUMENT_POSITION_FOLLOWING ? [p, q] : [q, p];
        if (positioned(under) && !positioned(over)) [under, over] = [over, under];
        const key = kids.indexOf(under.top) + ':' + kids.indexOf(over.top);
        if (pairs.has(key)) continue;
        pairs.add(key);
        note(under.el, { reason: 'overlap', amount: h, over: where(over.el) });
      }
    }
    for (const { el, item } of cut.values()) slide.items.push({ kind: 'cut', ...where(el), ...item });
    // Code Marp shrank to fit (marp-pre wraps it in an auto-scaling SVG).
    for (const pre of sec.querySelectorAll('marp-pre, pre')) {
      const code = pre.querySelector('code') || pre;
      if (!code.offsetWidth) continue;
      const shrink = code.getBoundingClientRect().width / scale / code.offsetWidth;
      const px = parseFloat(style(code).fontSize) * shrink * (1280 / sec.offsetWidth);
      if (px < opts.minCodePx) slide.items.push({ kind: 'shrink', ...where(pre), px, shrink });
    }
    // Text contrast against the composited background.
    const seen = new Set();
    // A theme may paint a band, a panel or a glow with ::before/::after (a
    // dark footer bar on a white slide): that paint lies over the element's
    // own background, so the pixels decide, as under an image.
    const paintsPseudo = (e) => {
      if (pseudoPaint.has(e)) return pseudoPaint.get(e);
      const v = ['::before', '::after'].some((which) => {
        const ps = getComputedStyle(e, which);
        if (!ps.content || ['none', 'normal'].includes(ps.content) || ps.display === 'none' || ps.visibility !== 'visible') return false;
        const bg = parse(ps.backgroundColor);
        return (bg && bg[3] > 0) || (ps.backgroundImage && ps.backgroundImage !== 'none');
      });
      pseudoPaint.set(e, v);
      return v;
    };
    const elsewhere = probe && !sec.contains(probe) ? [probe] : [];
    for (const el of [sec, ...sec.querySelectorAll('*'), ...elsewhere]) {
      const page = el === probe ? pageColours.get(el) : null;
      const home = page ? probe.parentElement : sec;
      if (!page && ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const s = style(el);
      const r = el.getBoundingClientRect();
      if (s.visibility !== 'visible' || s.display === 'none' || r.width === 0 || r.height === 0 || paintsNothing(el)) continue;
      const c = clipper(el);
      if (c && c.hidden) continue;
      // The backgrounds behind the text, nearest first, down to an opaque one.
      // An image (a background-image, or Marp's `![bg]` layer behind a
      // transparent content section) leaves the colour to the pixels.
      // What the letters are painted with: the text fill colour, or where
      // the fill is transparent over a background clipped to the text (a
      // gradient heading), that background's colours; it is then the
      // letters' paint, not what lies behind them.
      let fills = [parse(page ? page.color : (s.webkitTextFillColor || s.color))];
      let clip = null;
      if (!page && fills[0] && fills[0][3] === 0) {
        for (let e = el; e && !clip; e = e === home ? null : e.parentElement) {
          const es = style(e);
          if (/text/.test(`${es.backgroundClip} ${es.webkitBackgroundClip || ''}`)) clip = e;
        }
        if (clip) {
          const cs = style(clip);
          fills = (cs.backgroundImage.match(/rgba?\([^)]*\)/g) || []).map(parse);
          const flat = parse(cs.backgroundColor);
          if (flat && flat[3] > 0) fills.push(flat);
        }
      }
      const layers = [];
      let imaged = false, opaque = false, opacity = page ? page.opacity : 1;
      for (let e = el; e; e = e.parentElement) {
        const es = style(e);
        opacity *= parseFloat(es.opacity);
        if (e !== clip) {
          if (!opaque && es.backgroundImage && es.backgroundImage !== 'none') imaged = true;
          if (!opaque && !imaged && paintsPseudo(e)) imaged = true;
          const bg = parse(es.backgroundColor);
          if (!opaque && !imaged && bg && bg[3] > 0) { layers.push(bg); opaque = bg[3] >= 1; }
        }
        if (e === home) break;
      }
      if (!opaque && ['content', 'pseudo'].includes(home.dataset.marpitAdvancedBackground)) imaged = true;
      let under = [255, 255, 255];
      for (const layer of layers.reverse()) under = over(layer, under);
      // Of a gradient's colours, the one hardest to read is the verdict.
      const fgc = fills.filter((f) => f && f[3] * opacity >= 0.05)
        .map((f) => [f, ratio(over([f[0], f[1], f[2], f[3] * opacity], under), under)])
        .sort((a, b) => a[1] - b[1]).map(([f]) => f)[0];
      if (!fgc) continue;
      const size = parseFloat(s.fontSize) * (1280 / sec.offsetWidth);
      const bold = parseInt(s.fontWeight, 10) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      const need = large ? opts.minContrastLarge : opts.minContrast;
      // Every slide's page number colour, passing or not: the one most slides
      // show is the theme's (the rule tells a slide's own colour from it).
      if (page) slide.page_fg = hex(fgc);
      const declared = page ? { declared: hex(fgc) } : {};
      if (imaged) {
        // Judged on the pixels behind the text (render.py paints the slide
        // with text transparent and samples these boxes).
        const boxes = [], vr = svg.getBoundingClientRect();
        for (const n of el.childNodes) {
          if (n.nodeType !== 3 || !n.textContent.trim()) continue;
          range.selectNodeContents(n);
          for (const b of range.getClientRects()) {
            if (b.width > 0.5 && b.height > 0.5 && boxes.length < 8) {
              boxes.push([b.left - vr.left, b.top - vr.top, b.width, b.height]);  // in the slide's own box
            }
          }
        }
        if (boxes.length) slide.items.push({ kind: 'contrast-sample', ...where(el), ...declared, fg: [fgc[0], fgc[1], fgc[2], fgc[3] * opacity], need, large, boxes });
        continue;
      }
      const bg = under;
      const fg = over([fgc[0], fgc[1], fgc[2], fgc[3] * opacity], bg);
      const value = ratio(fg, bg);
      if (value >= need) continue;
      const at = where(el);
      const key = hex(fg) + hex(bg) + large + (at.chrome || '');
      if (!seen.has(key)) {
        seen.add(key);
        slide.items.push({ kind: 'contrast', ...at, ...declared, ratio: value, need, fg: hex(fg), bg: hex(bg), large });
      }
    }
    // Math the engine could not typeset: KaTeX's red error span; MathJax's
    // merror box, or the red text it draws for an undefined macro.
    const MATH_ERROR = '.katex-error, [data-mjx-error], g[data-mml-node="merror"], g[data-mml-node="mtext"][fill="red"]';
    for (const e of sec.querySelectorAll(MATH_ERROR)) {
      if (e.parentElement && e.parentElement.closest(MATH_ERROR)) continue;
      const katex = e.classList.contains('katex-error');
      // MathJax draws an undefined macro's name as glyphs: each path's
      // data-c is one character's code point, in hex.
      const macro = e.getAttribute('data-mml-node') === 'mtext'
        ? [...e.querySelectorAll('[data-c]')].map((g) => String.fromCodePoint(parseInt(g.getAttribute('data-c'), 16) || 63)).join('') : '';
      const message = e.getAttribute('title') || e.getAttribute('data-mjx-error')
        || (macro ? 'MathJax: undefined control sequence ' + macro : e.getAttribute('data-mml-node') === 'mtext' ? 'MathJax: undefined control sequence' : 'MathJax error');
      slide.items.push({ kind: 'math-error', ...where(e), message, source: katex ? (e.textContent || '').trim().slice(0, 200) : macro });
    }
    // Local images that did not load (<img>, and Marp's background figures).
    for (const img of sec.querySelectorAll('img')) {
      if (img.src.startsWith('file:') && img.complete && img.naturalWidth === 0) slide.items.push({ kind: 'image', ...where(img), src: img.getAttribute('src') });
    }
    for (const fig of svg.querySelectorAll('figure')) {
      const m = (fig.style.backgroundImage || '').match(/url\("?([^")]+)"?\)/);
      if (m) slide.items.push({ kind: 'bg-image', tag: 'figure', top: -1, text: '', src: new URL(m[1], document.baseURI).href });
    }
  });
  for (const probe of probes.values()) probe.remove();
  return out;
}
"""

# Samples the pixels behind text boxes in a screenshot taken with all text
# transparent: for each item, the contrast of its colour against the worst
# tenth of the pixels behind it (the part of a photo where it is hardest to read).
SAMPLE_JS = r"""
async ({ png, origin, items }) => {
  // Each item's boxes are in its slide's own box as measured; `at` = [x, y, k,
  // width, height] places them in the screenshot (pixel = at + k * box) and
  // bounds them by the slide: what lies off the slide is nobody's background.
  const img = new Image();
  img.src = 'data:image/png;base64,' + png;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = img.width; canvas.height = img.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, img.width, img.height).data;
  const sx = img.width / origin.width, sy = img.height / origin.height;
  const lum = (c) => {
    const ch = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  return items.map(({ fg, boxes, at }) => {
    const samples = [];
    for (const [bx, by, bw, bh] of boxes) {
      const [x, y, w, h] = [at[0] + bx * at[2], at[1] + by * at[2], bw * at[2], bh * at[2]];
      const stepX = Math.max(0.5, w / 24), stepY = Math.max(0.5, h / 6);
      for (let py = y + stepY / 2; py < y + h; py += stepY) {
        for (let px = x + stepX / 2; px < x + w; px += stepX) {
          if (px < at[0] || py < at[1] || px >= at[0] + at[3] || py >= at[1] + at[4]) continue;
          const ix = Math.floor((px - origin.x) * sx), iy = Math.floor((py - origin.y) * sy);
          if (ix < 0 || iy < 0 || ix >= img.width || iy >= img.height) continue;
          const i = (iy * img.width + ix) * 4;
          const bg = [data[i], data[i + 1], data[i + 2]];
          const f = [0, 1, 2].map((k) => fg[k] * fg[3] + bg[k] * (1 - fg[3]));
          samples.push({ value: ratio(f, bg), bg, f });
        }
      }
    }
    if (!samples.length) return null;
    samples.sort((a, b) => a.value - b.value);
    const worst = samples[Math.floor(samples.length / 10)];
    return { ratio: worst.value, bg: hex(worst.bg), fg: hex(worst.f) };
  });
}
"""
# Paints every letter transparent, so a screenshot shows only what is behind
# the text; the slides to sample are then stacked at a quarter of their size
# (SAMPLE_SCALE) in one screenshot, the others hidden.
SAMPLE_SCALE = 0.25
STACK_JS = r"""
({ wanted, scale }) => {
  document.documentElement.style.cssText = 'height:auto;overflow:visible';
  document.body.style.cssText = 'height:auto;overflow:visible;margin:0';
  const svgs = [...document.querySelectorAll('svg[data-marpit-svg]')];
  svgs.forEach((svg, i) => {
    if (!wanted.includes(i + 1)) { svg.style.display = 'none'; return; }
    const [, , w, h] = svg.getAttribute('viewBox').split(/[ ,]+/).map(Number);
    svg.style.cssText = `display:block;width:${w * scale}px;height:${h * scale}px`;
  });
  const out = {};
  let width = 1, height = 1;
  for (const n of wanted) {
    const r = svgs[n - 1].getBoundingClientRect();
    out[n] = [r.left, r.top + scrollY, r.width, r.height];
    width = Math.max(width, Math.ceil(r.right)); height = Math.max(height, Math.ceil(r.bottom + scrollY));
  }
  return { frames: out, width, height };
}
"""
HIDE_TEXT_CSS = ("*, *::before, *::after { color: transparent !important; "
                 "-webkit-text-fill-color: transparent !important; text-shadow: none !important; "
                 "-webkit-text-stroke: 0 !important; text-decoration-color: transparent !important }")
