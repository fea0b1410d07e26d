/**
 * A white plate with a dark border and black DejaVu Sans Bold text, as an SVG (sharp renders it):
 * US plate characters are condensed, so the bold glyphs are squeezed to fit 85% of the width.
 */
export function plateSvg(text: string, w: number, h: number): string {
  const fs = h * 0.5;
  const sx = Math.min(1, (w * 0.85) / (text.length * 0.75 * fs));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">
  <rect x="2" y="2" width="${w - 4}" height="${h - 4}" rx="8" fill="#fafafa" stroke="#1a1a1a" stroke-width="4"/>
  <text x="0" y="0" transform="translate(${w / 2} ${h * 0.72}) scale(${sx} 1)" font-family="DejaVu Sans"
    font-weight="bold" font-size="${fs}" text-anchor="middle" fill="#111">${text}</text></svg>`;
}
