import { type DiffReport, renderHtml, renderMarkdown, type Suspect } from '../../analysis';

const HOSTILE = '<script>alert("x")</script> | `tick` & [link](http://evil.example)';

function suspect(overrides: Partial<Suspect> = {}): Suspect {
  return {
    name: 'RenderedPage',
    countDelta: 3000,
    sizeDelta: 120_000,
    retainedSize: 1_500_000,
    retainedDelta: 1_200_000,
    retainerPath: ['(root)[1]', 'system / Context.renderPage', `Object[${JSON.stringify(HOSTILE)}]`, 'RenderedPage'],
    path: `renderPage.cache[${JSON.stringify(HOSTILE)}]`,
    holder: { name: 'Object', id: 70833, path: 'renderPage.cache.__data__.string.__data__' },
    counts: [600, 2100, 3600],
    selfSizes: [24_000, 84_000, 144_000],
    retainedSizes: [300_000, 900_000, 1_500_000],
    survivors: 3000,
    survivorsSize: 120_000,
    growsInEveryInterval: true,
    ...overrides,
  };
}

const report: DiffReport = {
  verdict: 'leak',
  reasoning: 'RenderedPage held by renderPage.cache grew in every interval.',
  suspects: [suspect(), suspect({ name: HOSTILE, retainedDelta: 10_000, growsInEveryInterval: false })],
  classGrowth: [{ name: HOSTILE, counts: [1, 2, 3], selfSizes: [10, 20, 30], countDelta: 2, sizeDelta: 20 }],
  holderGrowth: [
    {
      name: HOSTILE,
      id: 70833,
      path: 'renderPage.cache.__data__.string.__data__',
      retainedSizes: [300_000, 900_000, 1_500_000],
      retainedDelta: 1_200_000,
    },
  ],
  snapshots: [1, 2, 3].map((n) => ({
    file: `/tmp/s${n}.heapsnapshot`,
    fileBytes: n * 1_000_000,
    nodeCount: n * 1000,
    edgeCount: n * 4000,
    heapBytes: n * 500_000,
  })),
  minGrowthBytes: 65_536,
  analysisMs: 1234,
};

describe('renderHtml', () => {
  it('escapes every string from the snapshot and needs no network', () => {
    // Act
    const html = renderHtml(report, { title: 'Leak <in> prod' });
    // Assess
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('<title>Leak &lt;in&gt; prod</title>');
    expect(html).not.toMatch(/\b(src|href)=/);
    expect(html).toContain("default-src 'none'");
  });

  it('draws the top growers as an inline SVG bar chart', () => {
    // Act
    const html = renderHtml(report);
    // Assess
    const chart = html.match(/<svg[^>]*>.*?<\/svg>/s)?.[0] ?? '';
    expect(chart).toContain('Retained growth');
    expect(chart.match(/<rect /g)).toHaveLength(2);
    expect(chart).toContain('1.1 MiB');
    expect(html).toContain('renderPage.cache.__data__.string.__data__');
  });

  it('draws a heap-over-time line chart when given a series', () => {
    // Act
    const html = renderHtml(report, {
      heapSeries: [
        {
          label: 'old space <used>',
          points: [
            [1_700_000_000, 10e6],
            [1_700_000_060, 20e6],
            [1_700_000_120, 30e6],
          ],
        },
      ],
    });
    // Assess
    expect(html).toContain('Heap over time');
    expect(html).toMatch(/<polyline [^>]*points="80\.0,[\d.]+ 430\.0,[\d.]+ 780\.0,30\.0"/);
    expect(html).toContain('old space &lt;used&gt;');
    expect(renderHtml(report)).not.toContain('Heap over time');
  });
});

describe('renderMarkdown', () => {
  it('renders the verdict, suspects and paths, neutralising Markdown and HTML in snapshot strings', () => {
    // Act
    const markdown = renderMarkdown(report);
    // Assess
    expect(markdown).toContain('**Verdict: leak**');
    expect(markdown).toContain(
      '| 1 | RenderedPage | ` renderPage.cache.__data__.string.__data__ ` | 600 → 2100 → 3600 |',
    );
    const outsideCodeSpans = markdown.replace(/(`+) .*? \1/g, '');
    expect(outsideCodeSpans).not.toContain('<script>');
    expect(outsideCodeSpans).toContain('\\<script\\>');
    expect(outsideCodeSpans).not.toMatch(/[^\\]\[link\]/);
    const tableRows = markdown.split('\n').filter((line) => line.startsWith('| 2 |') && line.includes('+3000'));
    expect(tableRows[0].split(/(?<!\\)\|/)).toHaveLength(10);
  });
});
