import {
  type DiffReport,
  type ProfileDiff,
  type ProfileSite,
  renderHtml,
  renderMarkdown,
  type SeriesReport,
  type Suspect,
} from '../../analysis';

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
    breakdown: {
      objects: n * 600_000,
      strings: n * 200_000,
      numbers: 8_000,
      arrays: 90_000,
      code: 300_000,
      'off-heap': 0,
      'v8-internal': 100_000,
    },
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

const HOSTILE_SITE = { functionName: HOSTILE, url: 'file:///srv/<app>/pages.js', line: 12, column: 3 };

function site(overrides: Partial<ProfileSite> = {}): ProfileSite {
  return {
    name: `${HOSTILE} (…/<app>/pages.js:12)`,
    allocationSite: HOSTILE_SITE,
    inApplication: true,
    allocationStack: [`padEnd (native)`, `${HOSTILE} (file:///srv/<app>/pages.js:12:3)`],
    stackCount: 2,
    callees: ['RenderedPage (…/<app>/pages.js:4)'],
    samples: [40, 200, 360],
    bytes: [160_000, 800_000, 1_440_000],
    sampleDelta: 320,
    bytesDelta: 1_280_000,
    turnover: [
      { born: 161, died: 1 },
      { born: 160, died: 0 },
    ],
    growth: 'every-interval',
    ...overrides,
  };
}

const profiles: ProfileDiff = {
  verdict: 'leak',
  reasoning: `${HOSTILE} grew in every interval.`,
  profiles: [1, 2, 3].map((n) => ({
    file: `/tmp/<p${n}>.heapprofile`,
    fileBytes: 20_000,
    samples: 100,
    bytes: 409_600,
  })),
  samplingIntervalBytes: 4104,
  captureBytes: [0, 0, 0],
  total: {
    samples: [100, 260, 420],
    bytes: [409_600, 1_064_960, 1_720_320],
    turnover: [
      { born: 170, died: 10 },
      { born: 165, died: 5 },
    ],
    growsInEveryInterval: true,
  },
  sites: [site(), site({ growth: 'within-noise', bytesDelta: 4096, callees: [] })],
  threshold: {
    siteZ: 3.2,
    minSampleGrowth: 10,
    totalZ: 3,
    familyFalseAlarmRate: 0.01,
    sitesExamined: 12,
    minGrowthBytes: 65_536,
  },
};

const profileReport: SeriesReport = {
  verdict: 'leak',
  reasoning: profiles.reasoning,
  suspects: profiles.sites.map((entry) => ({
    name: entry.name,
    countDelta: entry.sampleDelta,
    sizeDelta: entry.bytesDelta,
    retainedSize: entry.bytes[2],
    retainerPath: [],
    allocationSite: entry.allocationSite,
    allocationStack: entry.allocationStack,
    samples: entry.samples,
    bytes: entry.bytes,
    growth: entry.growth,
    growsInEveryInterval: entry.growth === 'every-interval',
  })),
  classGrowth: [],
  holderGrowth: [],
  snapshots: [],
  minGrowthBytes: 65_536,
  analysisMs: 12,
  profiles,
};

const mixedReport: SeriesReport = {
  ...report,
  suspects: [
    suspect({
      allocationSite: HOSTILE_SITE,
      allocationStack: site().allocationStack,
      allocationEvidence: `the heap profiles show ${HOSTILE} called at this site`,
    }),
  ],
  profiles,
  verdicts: {
    snapshots: { verdict: 'leak', reasoning: 'snapshots' },
    profiles: { verdict: 'leak', reasoning: profiles.reasoning },
  },
};

describe('rendering heap profiles', () => {
  it('shows sites, stacks, the inlining caveat and the test in Markdown, escaped', () => {
    // Act
    const markdown = renderMarkdown(profileReport);
    // Assess
    expect(markdown).toMatch(/^# Heap profile diff\n/);
    expect(markdown).not.toContain('## Snapshots');
    expect(markdown).toContain('V8 may inline small functions; the site is the nearest frame the profile kept.');
    expect(markdown).toMatch(/- Site: `+ .*\(file:\/\/\/srv\/<app>\/pages\.js:12:3\) `+\n/);
    expect(markdown).toContain('born/died per interval +161/−1, +160/−0');
    expect(markdown).toContain('samples born − died > 3.20·√(born + died) and ≥ 10');
    expect(markdown).toContain('1. ` padEnd (native) `');
    const outsideCodeSpans = markdown.replace(/(`+) .*? \1/g, '');
    expect(outsideCodeSpans).not.toContain('<script>');
    expect(outsideCodeSpans).not.toContain('<app>');
    expect(outsideCodeSpans).not.toMatch(/[^\\]\[link\]/);
    const rows = markdown.split('\n').filter((line) => line.startsWith('| 1 |') && line.includes('every interval'));
    expect(rows[0].split(/(?<!\\)\|/)).toHaveLength(9);
  });

  it('shows sites and stacks in HTML, escaped, with a chart of the growth', () => {
    // Act
    const html = renderHtml(profileReport);
    // Assess
    expect(html).toContain('<title>heapwatch: heap profile diff</title>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<app>');
    expect(html).toContain('&lt;app&gt;');
    expect(html).toContain('Live sampled bytes gained, first → last profile');
    expect(html).toContain('V8 may inline small functions; the site is the nearest frame the profile kept.');
    expect(html).not.toMatch(/\b(src|href)=/);
  });

  it('shows a linked snapshot suspect with its allocation site, and each verdict, in both renderings', () => {
    // Act
    const markdown = renderMarkdown(mixedReport);
    const html = renderHtml(mixedReport);
    // Assess
    expect(markdown).toMatch(/^# Heap snapshot and profile diff\n/);
    expect(markdown).toContain('## Snapshots');
    expect(markdown).toContain('## Allocation sites');
    expect(markdown).toContain('Profiles alone: **leak**');
    expect(markdown).toContain('- Snapshot suspect(s): #1 RenderedPage');
    expect(markdown).toMatch(/- Allocated at `+ .*pages\.js:12:3\) `+ \(the heap profiles show/);
    expect(html).toContain('Allocated at <code>&lt;script&gt;');
    expect(html).toContain('Snapshot suspect(s): #1 RenderedPage.');
    expect(html).not.toContain('<script');
  });
});
