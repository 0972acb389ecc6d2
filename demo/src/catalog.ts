export interface Product {
  readonly id: number;
  readonly name: string;
  readonly priceCents: number;
  readonly description: string;
}

const ADJECTIVES = ['Sturdy', 'Elegant', 'Compact', 'Vintage', 'Bright', 'Quiet', 'Rugged', 'Soft'];
const NOUNS = ['Lamp', 'Chair', 'Kettle', 'Backpack', 'Desk', 'Blanket', 'Speaker', 'Mug', 'Clock', 'Rug'];

/** A fixed catalogue, so pages render the same bytes every run. */
export const PRODUCTS: readonly Product[] = Array.from({ length: 80 }, (_, index) => {
  const name = `${ADJECTIVES[index % ADJECTIVES.length]} ${NOUNS[index % NOUNS.length]} ${index + 1}`;
  return {
    id: index + 1,
    name,
    priceCents: 999 + ((index * 7919) % 40_000),
    description: `The ${name.toLowerCase()} is made to last: tested for years of daily use, easy to clean, and backed by our two-year warranty.`,
  };
});

export function findProduct(id: number): Product | undefined {
  return Number.isInteger(id) ? PRODUCTS[id - 1] : undefined;
}

/** Products shown next to `productId` ("customers also bought"). */
export function relatedProducts(productId: number, count = 6): Product[] {
  return Array.from({ length: count }, (_, i) => PRODUCTS[(productId * 13 + i * 7) % PRODUCTS.length]);
}
