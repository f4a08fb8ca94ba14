package org.ubdjvm.harness;
public class RingBenchmarkProbe {
    public static void main(String[] a) throws Exception {
        for (int i = 0; i < 5; i++) {
            var r = RingBenchmark.ring(1, 5_000_000);
            var q = RingBenchmark.arrayBlockingQueue(1, 5_000_000);
            System.out.printf("ring %.1f M/s, abq %.1f M/s, ratio %.1f%n", r.millionsPerSecond(), q.millionsPerSecond(), r.millionsPerSecond()/q.millionsPerSecond());
        }
    }
}
