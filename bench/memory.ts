export interface MemoryPeaks {
  /** Peak resident set size as the kernel counted it, bytes. */
  maxRssBytes: number;
  /** Highest V8 heap in use seen by sampling, bytes. */
  peakHeapUsedBytes: number;
}

/** Samples the heap while work runs; the RSS peak comes from the kernel, so nothing between samples is missed. */
export function memoryPeaks(intervalMs = 50): { stop(): MemoryPeaks } {
  let peakHeap = process.memoryUsage().heapUsed;
  const timer = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      return { maxRssBytes: process.resourceUsage().maxRSS * 1024, peakHeapUsedBytes: peakHeap };
    },
  };
}
