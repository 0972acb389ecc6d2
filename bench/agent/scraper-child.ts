// Benchmark child: scrapes /metrics like Prometheus does — its own process, one keep-alive connection, a fixed
// interval — while the parent tells it to ({ type: 'scrape', url, intervalMs } / { type: 'pause' }). It answers
// 'counts' and 'pause' with the counts so far; after a pause no scrape is in flight.
import { Agent, get } from 'node:http';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
let timer: NodeJS.Timeout | undefined;
let inFlight: Promise<void> | undefined;
const counts = { scrapes: 0, failedScrapes: 0 };

function scrapeOnce(url: string): Promise<void> {
  return new Promise((resolve) => {
    const fail = () => {
      counts.failedScrapes++;
      resolve();
    };
    get(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode === 200) counts.scrapes++;
        else counts.failedScrapes++;
        resolve();
      });
      response.on('error', fail);
    }).on('error', fail);
  });
}

process.on('message', async (message: { type: string; url?: string; intervalMs?: number }) => {
  if (message.type === 'scrape' && message.url) {
    const url = message.url;
    timer = setInterval(() => {
      inFlight ??= scrapeOnce(url).finally(() => {
        inFlight = undefined;
      });
    }, message.intervalMs ?? 1000);
  } else if (message.type === 'counts') {
    process.send!({ type: 'counts', ...counts });
  } else if (message.type === 'pause') {
    clearInterval(timer);
    await inFlight;
    process.send!({ type: 'pause', ...counts });
  }
});
process.send!({ type: 'ready' });
