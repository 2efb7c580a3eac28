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
  const unsettled = () => [...document.querySelectorAll('[data-auto-scaling]')].some((host) => {
    const inner = host.shadowRoot && host.shadowRoot.querySelector('marp-auto-scaling');
    const svg = inner && inner.shadowRoot && inner.shadowRoot.querySelector('svg');
    return !svg || !svg.getAttribute('viewBox');
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
  svgs.forEach((svg, index) => {
    const sections = [...svg.querySelectorAll(':scope > foreignObject > section')];
    const sec = sections.find((s) => !['background', 'pseudo'].includes(s.dataset.marpitAdvancedBackground)) || sections[0];
    if (!sec) return;
    const sr = sec.getBoundingClientRect();
    const scale = sr.width / sec.offsetWidth || 1;
    const cs = style(sec);
    const box = {
      left: sr.left + parseFloat(cs.paddingLeft) * scale, right: sr.right - parseFloat(cs.paddingRight) * scale,
      top: sr.top + parseFloat(cs.paddingTop) * scale, bottom: sr.bottom - parseFloat(cs.paddingBottom) * scale,
    };
    const kids = [...sec.children].filter((c) => !['HEADER', 'FOOTER', 'STYLE', 'SCRIPT'].includes(c.tagName));
    const topOf = (el) => { let e = el; while (e && e.parentElement !== sec) e = e.parentElement; return e; };
    const where = (el) => {
      const t = topOf(el), i = kids.indexOf(t);
      const nth = i < 0 ? null : kids.slice(0, i).filter((k) => k.tagName === t.tagName).length;
      return { top: i, nth_of_tag: nth, top_tag: t ? t.tagName.toLowerCase() : null, tag: el.tagName.toLowerCase(), text: text(el) };
    };
    const slide = { index: index + 1, width: sec.offsetWidth, height: sec.offsetHeight, items: [] };
    out.push(slide);
    // Content past the section's content box (into the padding, footer, or off the slide).
    for (const kid of kids) {
      const r = kid.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const below = (r.bottom - box.bottom) / scale, right = (r.right - box.right) / scale;
      if (below > tol || right > tol) slide.items.push({ kind: 'overflow', ...where(kid), below, right, bottom_edge: (r.bottom - sr.bottom) / scale });
    }
    // Content clipped inside an element that scrolls or hides its overflow.
    for (const el of sec.querySelectorAll('*')) {
      // Replaced elements report scroll sizes of their own; 1px boxes are
      // screen-reader-only copies (KaTeX/MathJax MathML), hidden on purpose.
      if (REPLACED.has(el.tagName) || el.clientWidth <= 2 || el.clientHeight <= 2) continue;
      const s = style(el);
      if (s.clip && s.clip !== 'auto') continue;
      const clipX = ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + tol;
      const clipY = ['auto', 'scroll', 'hidden', 'clip'].includes(s.overflowY) && el.scrollHeight > el.clientHeight + tol;
      if (!clipX && !clipY) continue;
      const item = { kind: 'clip', ...where(el), hidden_x: el.scrollWidth - el.clientWidth, hidden_y: el.scrollHeight - el.clientHeight };
      if (el.tagName === 'TABLE') {
        const er = el.getBoundingClientRect();
        const heads = el.rows.length ? [...el.rows[0].cells] : [];
        item.columns = heads.length;
        item.hidden_columns = heads.filter((h) => h.getBoundingClientRect().right > er.right + tol).map((h) => text(h));
      }
      slide.items.push(item);
    }
    // Code Marp shrank to fit (marp-pre wraps it in an auto-scaling SVG).
    for (const pre of sec.querySelectorAll('marp-pre, pre')) {
      const code = pre.querySelector('code') || pre;
      if (!code.offsetWidth) continue;
      const shrink = code.getBoundingClientRect().width / scale / code.offsetWidth;
      const px = parseFloat(style(code).fontSize) * shrink * (1280 / sec.offsetWidth);
      if (px < opts.minCodePx) slide.items.push({ kind: 'shrink', ...where(pre), px, shrink });
    }
    // Text contrast against the composited background (unknown over images: skipped).
    const seen = new Set();
    for (const el of [sec, ...sec.querySelectorAll('*')]) {
      if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
      const s = style(el);
      const r = el.getBoundingClientRect();
      if (s.visibility === 'hidden' || s.display === 'none' || r.width === 0 || r.height === 0) continue;
      const layers = [];
      let imaged = false, opacity = 1;
      for (let e = el; e; e = e.parentElement) {
        const es = style(e);
        opacity *= parseFloat(es.opacity);
        if (es.backgroundImage && es.backgroundImage !== 'none') { imaged = true; break; }
        const bg = parse(es.backgroundColor);
        if (bg && bg[3] > 0) layers.push(bg);
        if (e === sec) break;
      }
      if (imaged || sec.dataset.marpitAdvancedBackground === 'content') continue;
      let bg = [255, 255, 255];
      for (const layer of layers.reverse()) bg = over(layer, bg);
      const fgc = parse(s.color);
      if (!fgc) continue;
      const fg = over([fgc[0], fgc[1], fgc[2], fgc[3] * opacity], bg);
      const size = parseFloat(s.fontSize) * (1280 / sec.offsetWidth);
      const bold = parseInt(s.fontWeight, 10) >= 700;
      const large = size >= 24 || (bold && size >= 18.66);
      const value = ratio(fg, bg);
      const need = large ? opts.minContrastLarge : opts.minContrast;
      const key = hex(fg) + hex(bg) + large;
      if (value < need && !seen.has(key)) {
        seen.add(key);
        slide.items.push({ kind: 'contrast', ...where(el), ratio: value, need, fg: hex(fg), bg: hex(bg), large });
      }
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
  return out;
}
"""
