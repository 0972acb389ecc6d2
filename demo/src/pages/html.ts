import type { Product } from '../catalog';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function formatPrice(priceCents: number): string {
  return `€${(priceCents / 100).toFixed(2)}`;
}

export function productCard(product: Product): string {
  return `<li class="card"><a href="/products/${product.id}">${escapeHtml(product.name)}</a> <span class="price">${formatPrice(product.priceCents)}</span><p>${escapeHtml(product.description)}</p></li>`;
}

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · Demo Shop</title></head>
<body><header><a href="/">Demo Shop</a></header><main>${body}</main><footer>heapwatch demo service</footer></body></html>`;
}
