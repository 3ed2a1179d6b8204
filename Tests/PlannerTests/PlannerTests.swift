import Planner
import Runtime
import SAQLParser
import Testing

struct TimestampTests {
    @Test(arguments: [
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.0000000Z"),
        ("2024-01-02 03:04:05.1234567", "2024-01-02T03:04:05.1234567Z"),
        ("2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.1234567Z"),
        ("2024-01-02T03:04+02:00", "2024-01-02T01:04:00.0000000Z"),
        ("2024-02-29", "2024-02-29T00:00:00.0000000Z"),
        ("1969-12-31T23:59:59.9Z", "1969-12-31T23:59:59.9000000Z"),
    ])
    func parsesAndFormatsISO8601(_ text: String, _ expected: String) {
        #expect(Timestamp(parsing: text)?.iso8601 == expected)
    }

    @Test(arguments: ["2023-02-29", "2024-13-01", "2024-01-01T25:00", "yesterday", "2024-01-01T00:00:00Zjunk", ""])
    func rejectsInvalidText(_ text: String) {
        #expect(Timestamp(parsing: text) == nil)
    }

    @Test func calendarRoundTrips() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = CivilCalendar.civilFromDays(days)
            #expect(CivilCalendar.daysFromCivil(year: y, month: m, day: d) == days)
        }
    }

    @Test(arguments: [("8s", 80_000_000), ("500ms", 5_000_000), ("2m", 1_200_000_000), ("1h", 36_000_000_000),
                      ("1.5", 15_000_000), ("250us", 2500)] as [(String, Int64)])
    func parsesDurations(_ text: String, _ ticks: Int64) {
        #expect(TimeSpan(parsing: text)?.ticks == ticks)
    }
}

struct BinderTests {
    func compile(_ text: String) -> (CompiledJob?, [Diagnostic]) {
        Compiler.compile(SourceFile(name: "t.saql", text: text), catalog: .standard)
    }

    @Test func groupKeysMatchSelectExpressionsWrittenDifferently() {
        let (job, diags) = compile("SELECT i.DeviceId, UPPER(deviceid) AS u, COUNT(*) AS n FROM Input i GROUP BY DeviceId, TumblingWindow(second, 1)")
        #expect(!diags.hasErrors, "\(diags)")
        guard case .project(let items, .windowAggregate(let w, _))? = job?.logical.statements.first?.plan else {
            Issue.record("unexpected plan")
            return
        }
        #expect(w.keys.count == 1 && w.aggregates.map(\.function.name) == ["COUNT"] && w.aggregates.first?.countsRows == true)
        #expect(items.count == 3)
    }

    @Test func inputFieldsAreDiscoveredAcrossSteps() {
        let (job, diags) = compile("""
            WITH S AS (SELECT * FROM Input TIMESTAMP BY Time)
            SELECT Make, Speed FROM S WHERE Lane = 2
            """)
        #expect(!diags.hasErrors, "\(diags)")
        let layout = job?.logical.layouts["Input"]
        #expect(Set(layout?.fields ?? []) == ["Time", "Make", "Speed", "Lane"])
        #expect(layout?.wantsRecord == true)
    }

    @Test func aliasesDoNotLeakIntoWhere() {
        let (_, diags) = compile("""
            CREATE TABLE Input (a bigint);
            SELECT a AS b FROM Input WHERE b = 1
            """)
        #expect(diags.contains { $0.code == "SAQL2001" && $0.message.contains("'b'") })
    }

    @Test func suggestionsUseEditDistance() {
        #expect(Suggest.closest("Temprature", in: ["Temperature", "Pressure"]) == "Temperature")
        #expect(Suggest.closest("xyz", in: ["Temperature"]) == nil)
    }

    @Test func explainIsDeterministic() {
        let text = "SELECT a, COUNT(*) AS n INTO o FROM Input TIMESTAMP BY t GROUP BY a, HoppingWindow(second, 10, 5)"
        let (j1, _) = compile(text)
        let (j2, _) = compile(text)
        guard let j1, let j2 else { Issue.record("did not compile"); return }
        #expect(Explain.logical(j1.logical) + Explain.physical(j1.physical) == Explain.logical(j2.logical) + Explain.physical(j2.physical))
        #expect(Explain.physical(j1.physical).contains("window=hopping(10s, hop 5s)"))
    }
}
