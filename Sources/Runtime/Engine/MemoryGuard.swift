import Foundation
import Planner

/// `SET max_state`: the job stops with an error naming the operator that holds the most rows
/// before the kernel's OOM killer ends it with no message. The measure is the process's resident
/// memory (everything the job holds, outputs' buffers and JavaScript heaps included), read from
/// `/proc/self/statm`; per-operator row counts are only gathered once the limit is passed.
struct MemoryGuard {
    /// The limit in bytes; nil when it cannot be known.
    let limit: Int64?
    /// True when the limit was set by `max_state` (else it is the default, for the message).
    let explicit: Bool

    init(setting: Int64?) {
        explicit = setting != nil
        limit = setting ?? Self.defaultLimit()
    }

    /// 90 % of the memory the process may use: its cgroup's `memory.max` when set, else the
    /// machine's memory.
    static func defaultLimit() -> Int64? {
        var candidates: [Int64] = []
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let n = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)) { candidates.append(n) }
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int64($0) }) { candidates.append(kb * 1024) }
        return candidates.min().map { $0 / 10 * 9 }
    }

    /// The process's resident memory in bytes (the second field of `/proc/self/statm`, in pages).
    static func residentBytes() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count >= 2, let pages = Int64(fields[1]) else { return nil }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func text(_ bytes: Int64) -> String {
        bytes >= 1 << 30 ? String(format: "%.2f GB", Double(bytes) / Double(1 << 30)) : String(format: "%.1f MB", Double(bytes) / Double(1 << 20))
    }
}
