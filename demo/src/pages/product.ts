import type { Product } from '../catalog';
import { escapeHtml, formatPrice, layout } from './html';

export function renderProduct(product: Product, recommendationsHtml: string): string {
  return layout(
    product.name,
    `<article><h1>${escapeHtml(product.name)}</h1><p class="price">${formatPrice(product.priceCents)}</p>` +
      `<p>${escapeHtml(product.description)}</p><button>Add to cart</button></article>${recommendationsHtml}`,
  );
}
