import Planner

/// The current rows of one reference input, shared by every join that reads it.
///
/// Rows are (re)loaded whole: a reload builds the new table completely and then replaces the old
/// one, so a join never sees half a table. A failed reload keeps the previous rows and is reported.
/// Reloads happen when `refresh` has passed on the run's ``Clock``.
package final class ReferenceData {
    package let name: String
    package let width: Int
    private let loader: (() throws -> EventBatch)?
    private let refresh: Int64?
    private let clock: any Clock
    private var loadedAt: Int64
    /// Called with the reason when a reload fails.
    var onError: ((String) -> Void)?

    /// The table; replaced whole on reload.
    package private(set) var rows: EventBatch
    /// Increases with every replacement.
    package private(set) var version = 0

    /// Loads the table now; throws when the first load fails (a job must not start without it).
    package init(name: String, width: Int, refresh: TimeSpan?, clock: any Clock,
                loader: (() throws -> EventBatch)?) throws {
        self.name = name
        self.width = width
        self.loader = loader
        self.refresh = refresh?.ticks
        self.clock = clock
        loadedAt = clock.now
        rows = try loader?() ?? EventBatch(width: width)
    }

    /// Reloads if the refresh interval has passed since the last attempt.
    package func refreshIfDue() {
        guard let refresh, let loader else { return }
        let now = clock.now
        guard now >= loadedAt.addingSaturating(refresh) else { return }
        loadedAt = now
        do {
            replace(try loader())
        } catch {
            onError?("reference input '\(name)': reload failed, keeping the previous data: \(error)")
        }
    }

    /// Replaces the table (the embedding API's way to update reference data).
    package func replace(_ table: EventBatch) {
        rows = table
        version += 1
    }
}
