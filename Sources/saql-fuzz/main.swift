// saql-fuzz: a mutation fuzzer for saql's front doors, run for a bounded time by scripts/fuzz.sh
// (not in every CI run). libFuzzer (`-sanitize=fuzzer`) does not link with this toolchain's
// Foundation on Linux, so the mutation driver is hand-written: seeds from the golden corpus and
// queries/, byte- and token-level mutations, splices. Targets:
//
//   query   query text through the whole compiler (parse, bind, plan), diagnostics rendering and
//           EXPLAIN
//   header  job headers (CREATE INPUT/OUTPUT/FUNCTION/TABLE, SET) with a fixed query
//   events  event bytes through the JSON and CSV decoders
//   avro    Avro container files (plain and Event Hubs Capture) through the Avro input
//
// Checkpoint blobs through restore are fuzzed by CheckpointFuzzTests (SAQL_FUZZ_INTENSITY=N).
// A crash (a trap or signal) writes the input to `crash-<target>-<n>.txt` from the signal handler;
// an input that runs longer than 5 s of CPU time is written as `hang-<target>-<n>.txt` and the
// process aborts. Budgets and the watchdog count CPU time, not wall time, so a run niced beside
// other work neither ends early nor reports a starved input as a hang.
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Planner
import Runtime
import SAQL
import SAQLParser

struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }
}

/// The input being run, for the signal handler (which may only call async-signal-safe functions).
nonisolated(unsafe) var currentInput: UnsafeMutablePointer<UInt8> = .allocate(capacity: 1 << 22)
nonisolated(unsafe) var currentLength = 0
nonisolated(unsafe) var crashPath: [CChar] = Array("crash.txt".utf8CString)
nonisolated(unsafe) var executions = 0

func installCrashHandler() {
    let handler: @convention(c) (Int32) -> Void = { sig in
        let fd = crashPath.withUnsafeBufferPointer { p in p.baseAddress.map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? -1 }
        if fd >= 0 {
            _ = write(fd, currentInput, currentLength)
            close(fd)
        }
        signal(sig, SIG_DFL)
        raise(sig)
    }
    // On its own stack: a stack overflow (SIGSEGV) leaves none to run the handler on.
    var stack = stack_t()
    stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
    stack.ss_size = 1 << 16
    sigaltstack(&stack, nil)
    var action = sigaction()
    action.__sigaction_handler.sa_handler = handler
    action.sa_flags = SA_ONSTACK
    for s in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] { sigaction(s, &action, nil) }
}

let dictionary = ["SELECT", "FROM", "WHERE", "GROUP BY", "HAVING", "INTO", "UNION", "JOIN", "LEFT JOIN", "ON", "AS",
                  "TIMESTAMP BY", "OVER", "PARTITION BY", "LIMIT DURATION", "WITH", "AND", "OR", "NOT", "CASE", "WHEN",
                  "THEN", "ELSE", "END", "IS NULL", "LIKE", "IN", "BETWEEN", "CAST(", "TRY_CAST(", "AS bigint)",
                  "TumblingWindow(second, 5)", "HoppingWindow(minute, 10, 5)", "SlidingWindow(second, 1e308)",
                  "SessionWindow(second, 5, 10)", "MATCH_RECOGNIZE (", "PATTERN (A+ B{2,3})", "DEFINE A AS", "MEASURES",
                  "LAG(", "ISFIRST(minute, 5)", "COUNT(*)", "SUM(", "AVG(", "CollectTop(2)", "DATEADD(year, 9223372036854775807, ",
                  "DATEDIFF(second, a, b)", "(", ")", ",", ".", "*", "-", "+", "/", "%", "=", "<>", "'", "\"", "[", "]", "{", "}",
                  "9223372036854775807", "-9223372036854775808", "1e999", "0", "NULL", "udf.f(", "uda.g(",
                  "CREATE INPUT In WITH (connector = 'file', path = 'x.jsonl')", "SET late_arrival_tolerance = '5s';",
                  "CREATE FUNCTION f WITH (code = 'function main(x) { return x; }');", "GetArrayElements(", "CROSS APPLY",
                  "System.Timestamp()", "REGEXMATCH(s, '(a+)+$')", "${ENV}", ";", "\n", "--", "/*", "*/"]

func mutate(_ input: [UInt8], seeds: [[UInt8]], rng: inout SplitMix) -> [UInt8] {
    var b = input
    for _ in 0..<(1 + rng.below(4)) {
        let at = rng.below(b.count + 1)
        switch rng.below(8) {
        case 0 where !b.isEmpty: b[min(at, b.count - 1)] ^= UInt8(1 << rng.below(8))
        case 1: b.insert(UInt8(rng.below(256)), at: at)
        case 2 where !b.isEmpty:
            let n = min(1 + rng.below(16), b.count - min(at, b.count - 1))
            b.removeSubrange(min(at, b.count - 1)..<min(at, b.count - 1) + n)
        case 3: b.insert(contentsOf: Array((" " + dictionary[rng.below(dictionary.count)] + " ").utf8), at: at)
        case 4 where !b.isEmpty:
            // Duplicate a span many times (depth and size).
            let from = rng.below(b.count), n = min(1 + rng.below(12), b.count - from)
            let span = Array(b[from..<from + n])
            for _ in 0..<(1 + rng.below(rng.below(10) == 0 ? 3000 : 8)) { b.insert(contentsOf: span, at: from) }
        case 5:
            let other = seeds[rng.below(seeds.count)]
            let from = rng.below(other.count + 1)
            b.insert(contentsOf: other[from..<min(other.count, from + rng.below(200))], at: at)
        case 6 where !b.isEmpty:
            // A number replaced by an extreme one.
            if let i = b[min(at, b.count - 1)...].firstIndex(where: { $0 >= 0x30 && $0 <= 0x39 }) {
                b.insert(contentsOf: Array(["99999999999999999999", "9223372036854775807", "1e308", "-0", "2147483647"][rng.below(5)].utf8), at: i)
            }
        default: if b.count > 1 { b.swapAt(rng.below(b.count), rng.below(b.count)) }
        }
    }
    return Array(b.prefix(1 << 21))
}

/// Seeds: the golden corpus' query and error texts, and the example jobs.
func querySeeds(_ root: String) -> [[UInt8]] {
    var seeds: [[UInt8]] = []
    let corpus = root + "/Tests/CorpusTests/Corpus"
    for file in (try? FileManager.default.contentsOfDirectory(atPath: corpus)) ?? [] where file.hasSuffix(".test") {
        guard let text = try? String(contentsOfFile: corpus + "/" + file, encoding: .utf8) else { continue }
        var current: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("query") || line == "error" { current = []; continue }
            if line == "----" { if let c = current { seeds.append(Array(c.joined(separator: "\n").utf8)) }; current = nil; continue }
            current?.append(String(line))
        }
    }
    let queries = root + "/queries"
    for dir in (try? FileManager.default.subpathsOfDirectory(atPath: queries)) ?? [] where dir.hasSuffix(".saql") || dir.hasSuffix(".asaql") {
        if let t = try? String(contentsOfFile: queries + "/" + dir, encoding: .utf8) { seeds.append(Array(t.utf8)) }
    }
    return seeds
}

func eventSeeds(_ root: String) -> [[UInt8]] {
    var seeds: [[UInt8]] = []
    for path in ["/queries/data/telemetry.jsonl", "/Tests/CorpusTests/Corpus/tumbling.test", "/Tests/CorpusTests/Corpus/apply.test"] {
        guard let t = try? String(contentsOfFile: root + path, encoding: .utf8) else { continue }
        for line in t.split(separator: "\n").prefix(200) where line.hasPrefix("{") { seeds.append(Array(line.utf8)) }
    }
    seeds += [#"{"a":[1,{"b":"\u00e9\ud83d\ude00"}],"c":-1.5e-300,"d":true,"e":null}"#, "a,b,c", #"1,"x""y",3"#].map { Array($0.utf8) }
    return seeds
}

/// Seeds: Avro files fastavro wrote (every type and codec, and a capture).
func avroSeeds(_ root: String) -> [[UInt8]] {
    let dir = root + "/Tests/RuntimeTests/Fixtures/avro"
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        .compactMap { FileManager.default.contents(atPath: dir + "/" + $0).map { [UInt8]($0) } }
}

let avroPath = NSTemporaryDirectory() + "saql-fuzz-\(getpid()).avro"
let avroLayout = InputLayout(input: "In", fields: ["Id", "Name", "DeviceId", "Temperature"], wantsRecord: true, declaredTypes: [nil, nil, nil, nil])

func runAvro(_ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: avroPath, contents: Data(bytes))
    for capture in [false, true] {
        guard let source = try? AvroSource(input: "In", pattern: avroPath, capture: capture, arrivalField: nil, layout: avroLayout,
                                           compatibility: .v1_2, runStart: 0, context: RuntimeContext()) else { continue }
        var rows = 0
        while rows < 200_000, let batch = try? source.nextBatch(maxRows: 512) { rows += max(batch.count, 1) }
    }
}

func runQuery(_ bytes: [UInt8]) {
    let source = SourceFile(name: "fuzz.saql", text: String(decoding: bytes, as: UTF8.self))
    let (job, diagnostics) = Compiler.compile(source)
    _ = DiagnosticRenderer().render(diagnostics, in: source)
    if let job { _ = Explain.logical(job.logical) + Explain.physical(job.physical) + Explain.physicalJSON(job.physical) }
}

let layouts = [
    InputLayout(input: "In", fields: ["a", "b", "c", "Time"], wantsRecord: true, declaredTypes: [nil, nil, nil, nil]),
    InputLayout(input: "In", fields: ["a", "b", "c"], wantsRecord: false, declaredTypes: [.bigint, .float, .datetime]),
]

func runEvent(_ bytes: [UInt8]) {
    for layout in layouts {
        for format in [DataFormat.json, .csv] {
            var decoder = EventDecoder(layout: layout, format: format, arrivalField: "Time", compatibility: .v1_2)
            var batch = EventBatch(width: decoder.width)
            bytes.withUnsafeBufferPointer { b in
                if format == .csv { try? decoder.readHeader(UnsafeBufferPointer(rebasing: b[0..<min(b.count, 12)])) }
                try? decoder.decode(b, into: &batch, defaultArrival: 0)
            }
        }
    }
}

// MARK: main

let args = CommandLine.arguments
guard args.count >= 2, ["query", "header", "events", "avro"].contains(args[1]) else {
    print("usage: saql-fuzz query|header|events|avro [--seconds CPU_SECONDS] [--seed S] [--out DIR]")
    exit(2)
}
let target = args[1]
func option(_ name: String) -> String? { args.firstIndex(of: name).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } }
let seconds = Double(option("--seconds") ?? "60") ?? 60
var rng = SplitMix(state: UInt64(option("--seed") ?? "1") ?? 1)
let out = option("--out") ?? "."
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
var seeds = target == "events" ? eventSeeds(root) : target == "avro" ? avroSeeds(root) : querySeeds(root)
if target == "header" {
    seeds = seeds.map { s in Array(String(decoding: s, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("CREATE") || $0.hasPrefix("SET") }
        .joined(separator: "\n").utf8) + Array("\nSELECT * INTO Out FROM In".utf8) }.filter { $0.count > 30 }
}
crashPath = Array("\(out)/crash-\(target)-\(getpid()).txt".utf8CString)
installCrashHandler()

/// The process's CPU time in seconds.
@Sendable func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

// A watchdog: one input running longer than 5 s of CPU time is a hang.
nonisolated(unsafe) var lastExecution = executions
Thread.detachNewThread {
    var since = cpuSeconds()
    while true {
        Thread.sleep(forTimeInterval: 1)
        if executions != lastExecution {
            lastExecution = executions
            since = cpuSeconds()
        } else if cpuSeconds() - since > 5 {
            let fd = open("\(out)/hang-\(target)-\(getpid()).txt", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            if fd >= 0 { _ = write(fd, currentInput, currentLength); close(fd) }
            print("saql-fuzz: hang after \(executions) executions")
            abort()
        }
    }
}

var pool = seeds
let started = cpuSeconds()
while cpuSeconds() - started < seconds {
    let parent = pool[rng.below(pool.count)]
    let input = mutate(parent, seeds: seeds, rng: &rng)
    input.withUnsafeBufferPointer { b in if let base = b.baseAddress { currentInput.update(from: base, count: min(b.count, 1 << 22)) } }
    currentLength = min(input.count, 1 << 22)
    switch target {
    case "events": runEvent(input)
    case "avro": runAvro(input)
    default: runQuery(input)
    }
    executions += 1
    // Keep some mutants as parents, so mutations accumulate.
    if rng.below(8) == 0 { pool.append(input); if pool.count > 5000 { pool.removeFirst(1000) } }
}
print("saql-fuzz \(target): \(executions) executions in \(Int(cpuSeconds() - started)) CPU s, 0 crashes, 0 hangs, \(seeds.count) seeds")
