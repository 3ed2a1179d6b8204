import SAQLParser

extension Binder {
    mutating func bindCall(_ call: FunctionCall, _ scope: Scope, _ mode: AggregateMode, _ range: SourceRange) -> BoundExpr {
        if let column = analyticColumns[call.nameRange] { return BoundExpr(.column(column.index), column.type, range) }
        if failedAnalytics.contains(call.nameRange) { return .literal(.null, range) }
        let upper = call.baseName.uppercased()
        if call.name.count > 1 {
            let prefix = call.name[0].text.uppercased()
            if prefix == "SYSTEM" && upper == "TIMESTAMP" && call.name.count == 2 {
                if !call.arguments.isEmpty {
                    diagnostics.append(.error("SAQL2012", "System.Timestamp() takes no arguments", at: range))
                }
                return BoundExpr(.systemTimestamp, .datetime, range)
            }
            if (prefix == "UDF" || prefix == "UDA") && call.name.count == 2 {
                if let key = call.registryKey, functions.scalar(named: key) == nil && functions.aggregate(named: key) == nil {
                    return unknownUserFunction(call, scope, mode, range)
                }
                return bindNamedCall(call, scope, mode, range)
            }
            if prefix == "SYSTEM" && upper == "WINDOW" {
                guard let id = windowIdentifier else {
                    diagnostics.append(.error("SAQL2098", "System.Window() is only available in a grouped SELECT", at: range))
                    return .literal(.null, range)
                }
                return BoundExpr(.literal(.record(Record(names: ["Id"], values: [id]))),
                                 .record(fields: [RecordFieldType("Id", .nvarchar)]), range)
            }
            diagnostics.append(.error("SAQL2005", "unknown function '\(call.qualifiedName)'", at: call.nameRange,
                                      helps: [.init("at compatibility level 1.2 built-in functions take no prefix")]))
            return .literal(.null, range)
        }
        if windowFunctionNames.contains(upper) {
            diagnostics.append(.error("SAQL2060", "window function '\(call.baseName)' can only be used in GROUP BY", at: range))
            return .literal(.null, range)
        }
        return bindNamedCall(call, scope, mode, range)
    }

    /// A call of a function in the registry: a built-in (`UPPER(x)`) or a user function (`udf.f(x)`).
    private mutating func bindNamedCall(_ call: FunctionCall, _ scope: Scope, _ mode: AggregateMode, _ range: SourceRange) -> BoundExpr {
        let upper = call.registryKey ?? call.baseName.uppercased()
        if functions.aggregate(named: upper) != nil {
            if isAnalytic(call) {
                // Only reached where analytic functions cannot be: their SELECT binds them first.
                diagnostics.append(.error("SAQL2093", "an analytic function is not allowed here", at: call.nameRange))
            } else if case .forbidden(let clause) = mode {
                let help: Diagnostic.Help = clause == "WHERE"
                    ? .init("filter on aggregates with HAVING") : .init("aggregates belong in SELECT or HAVING of a grouped query")
                diagnostics.append(.error("SAQL2061", "aggregate '\(call.baseName)' is not allowed in \(clause)", at: range,
                                          helps: [help]))
            }
            return .literal(.null, range)
        }
        if AnalyticName(rawValue: upper) != nil {
            diagnostics.append(.error("SAQL2093", "an analytic function is not allowed here", at: call.nameRange))
            return .literal(.null, range)
        }
        if upper == "GETMETADATAPROPERTYVALUE" { return bindMetadata(call, scope, range) }
        if upper.hasPrefix("UDA.") {
            diagnostics.append(.error("SAQL2065", "'\(call.qualifiedName)' is an aggregate: it needs GROUP BY with a window", at: call.nameRange,
                                      helps: [.init("add GROUP BY TumblingWindow(minute, 1) (or another window), or declare it with kind = 'scalar' and call it as udf.\(call.baseName)")]))
            return .literal(.null, range)
        }
        guard let definition = functions.scalar(named: upper) else {
            var helps: [Diagnostic.Help] = []
            if suggesting, let near = Suggest.closest(upper, in: (functions.allScalars.map(\.name) + functions.allAggregates.map(\.name)
                + ["GETMETADATAPROPERTYVALUE", "LAG", "LAST", "ISFIRST", "ANOMALYDETECTION_SPIKEANDDIP", "ANOMALYDETECTION_CHANGEPOINT"]).sorted()) {
                helps.append(.init("did you mean '\(near)'?", replacing: call.nameRange, with: near))
            }
            diagnostics.append(.error("SAQL2005", "unknown function '\(call.baseName)'", at: call.nameRange, helps: helps))
            for a in call.arguments { _ = bindExpr(a, scope, mode) }
            return .literal(.null, range)
        }
        if call.over != nil {
            diagnostics.append(.error("SAQL2062", "'\(call.baseName)' is not an analytic function and takes no OVER clause",
                                      at: call.over?.range ?? range))
        }
        let sig = definition.signature
        let (minArgs, maxArgs) = (sig.arity.lowerBound, sig.arity.upperBound)
        guard sig.arity.contains(call.arguments.count) else {
            let expected = minArgs == maxArgs ? "\(minArgs)" : maxArgs > 100 ? "at least \(minArgs)" : "\(minArgs) to \(maxArgs)"
            let shape = (sig.takesDatePart ? ["datepart"] : []) + (0..<(minArgs - (sig.takesDatePart ? 1 : 0))).map { "arg\($0 + 1)" }
            let shown = definition.spelling
            diagnostics.append(.error("SAQL2012", "'\(shown)' takes \(expected) argument\(expected == "1" ? "" : "s"), got \(call.arguments.count)",
                                      at: range, helps: [.init("call it as \(shown)(\(shape.joined(separator: ", "))\(maxArgs > minArgs ? ", ..." : ""))")]))
            for a in call.arguments { _ = bindExpr(a, scope, mode) }
            return .literal(.null, range)
        }
        var argExprs = call.arguments
        var part: DatePart?
        if sig.takesDatePart {
            guard let p = datePart(argExprs[0]) else { return .literal(.null, range) }
            part = p
            argExprs.removeFirst()
        }
        let args = argExprs.enumerated().map { i, e in
            if upper.hasPrefix("UDF."), let event = wholeEvent(e, scope) { return event }
            return sig.kind(of: i) == .eventTime ? sourceTime(e, scope) ?? bindExpr(e, scope, mode) : bindExpr(e, scope, mode)
        }
        checkArguments(definition.spelling, sig, args, argExprs)
        return BoundExpr(.call(FunctionRef(definition, datePart: part), args), definition.returnType(args), range)
    }

    /// `udf.x` or `uda.x` that no declaration names.
    private mutating func unknownUserFunction(_ call: FunctionCall, _ scope: Scope, _ mode: AggregateMode, _ range: SourceRange) -> BoundExpr {
        let prefix = call.name[0].text.uppercased()
        // Declared, but its code did not compile: that declaration's error says it all.
        if header.functions.contains(where: { $0.name.caseInsensitiveEquals(call.baseName) }) { return .literal(.null, range) }
        let names = suggesting ? (functions.allScalars.map(\.name) + functions.allAggregates.map(\.name)).filter { $0.hasPrefix(prefix + ".") } : []
        var helps: [Diagnostic.Help] = []
        if let near = Suggest.closest(prefix + "." + call.baseName.uppercased(), in: names) {
            let author = (functions.scalar(named: near)?.spelling ?? functions.aggregate(named: near)?.spelling).map { String($0.dropFirst(prefix.count + 1)) }
            let spelled = call.name[0].text + "." + (author ?? String(near.dropFirst(prefix.count + 1)))
            helps.append(.init("did you mean '\(spelled)'?", replacing: call.nameRange, with: spelled))
        }
        helps.append(.init("declare it in the job: CREATE FUNCTION \(call.baseName) WITH (language = 'javascript', kind = '\(prefix == "UDA" ? "aggregate" : "scalar")', code = '...')"))
        diagnostics.append(.error("SAQL2005", "unknown function '\(call.qualifiedName)'", at: call.nameRange, helps: helps))
        for a in call.arguments where wholeEvent(a, scope) == nil { _ = bindExpr(a, scope, mode) }
        return .literal(.null, range)
    }

    /// A source's name as an argument of a user function (`udf.f(input)`): the whole event, as a record.
    mutating func wholeEvent(_ e: Expr, _ scope: Scope) -> BoundExpr? {
        guard case .identifier(let n) = e.kind, n.quoting != .doubleQuotes,
              scope.relations.contains(where: { $0.alias.caseInsensitiveEquals(n.text) }),
              !scope.relations.contains(where: { $0.schema.index(of: n.text) != nil }) else { return nil }
        return wholeRow(scope, range: e.range)
    }

    /// `GetMetadataPropertyValue(input, 'path')`: a column the input's reader fills from the
    /// transport (see ``MetadataProperty``). The first argument names an input read in this FROM.
    mutating func bindMetadata(_ call: FunctionCall, _ scope: Scope, _ range: SourceRange) -> BoundExpr {
        guard call.arguments.count == 2 else {
            diagnostics.append(.error("SAQL2012", "'GETMETADATAPROPERTYVALUE' takes 2 arguments, got \(call.arguments.count)", at: range))
            return .literal(.null, range)
        }
        let (source, pathExpr) = (call.arguments[0], call.arguments[1])
        guard case .identifier(let name) = source.kind,
              let relation = scope.relations.first(where: { $0.alias.caseInsensitiveEquals(name.text) }) else {
            diagnostics.append(.error("SAQL2130", "the first argument of GetMetadataPropertyValue must name a source of this FROM",
                                      at: source.range, helps: [.init("write the input's name or alias, e.g. GetMetadataPropertyValue(\(scope.relations.first?.alias ?? "input"), '[EventHub].[PartitionId]')")]))
            return .literal(.null, range)
        }
        guard let input = relation.input, !relation.isReference else {
            diagnostics.append(.error("SAQL2131", "'\(name.text)' is not a streaming input: metadata exists only where events are read",
                                      at: source.range, helps: [.init("call GetMetadataPropertyValue in the step that reads the input, and pass the value on as a column")]))
            return .literal(.null, range)
        }
        guard case .literal(.string(let path)) = pathExpr.kind, let property = MetadataProperty(path: path) else {
            let written: String
            if case .literal(.string(let p)) = pathExpr.kind { written = p } else { written = "" }
            var helps: [Diagnostic.Help] = [.init(MetadataProperty.knownPathsHelp(near: written))]
            let spelled = MetadataProperty.knownPaths.map { written.contains("[") ? $0 : $0.filter { $0 != "[" && $0 != "]" } }
            if !written.isEmpty, let near = Suggest.closest(written, in: spelled) {
                helps.insert(.init("did you mean '\(near)'?", replacing: pathExpr.range, with: "'\(near)'"), at: 0)
            }
            diagnostics.append(.error("SAQL2132", "unknown metadata property \(sourceText(pathExpr))", at: pathExpr.range, helps: helps))
            return .literal(.null, range)
        }
        if let binding = header.input(named: input), !binding.endpoint.provides(property) {
            diagnostics.append(.warning("SAQL2133", "\(binding.endpoint.connector) inputs do not carry \(property): this is always NULL", at: range))
        }
        let column = metadataColumn(property, of: input)
        return BoundExpr(.column(relation.offset + column), property.type, range)
    }

    /// Reports arguments that cannot convert to what the function takes (see ``ArgumentKind``):
    /// records and arrays where a scalar goes; datetimes, records, arrays and non-numeric string
    /// literals where a number goes; numbers, records and arrays where a datetime goes. (Strings in
    /// general may convert at run time, as in ASA.)
    mutating func checkArguments(_ name: String, _ sig: FunctionSignature, _ args: [BoundExpr], _ exprs: [Expr]) {
        let firstPosition = sig.takesDatePart ? 2 : 1
        for (i, (a, e)) in zip(args, exprs).enumerated() {
            let kind = sig.kind(of: i)
            if kind != .value && (a.type == .array || a.type.isRecord) { requireScalar(a, e, "'\(name)'") }
            var nonNumericText = false
            if case .literal(.string(let text)) = a.kind { nonNumericText = Double(text) == nil }
            switch kind {
            case .number where nonNumericText || a.type == .datetime || a.type.isRecord || a.type == .array:
                diagnostics.append(.error("SAQL2018", "'\(name)' takes a number as argument \(i + firstPosition), not \(a.type)", at: e.range,
                                          helps: [.init(a.type == .nvarchar ? "pass a bigint or float value; TRY_CAST converts text that may not be a number"
                                                        : "pass a bigint or float value")]))
            case .datetime where [.bigint, .float, .bit].contains(a.type) || a.type.isRecord || a.type == .array:
                diagnostics.append(.error("SAQL2018", "'\(name)' takes a datetime as argument \(i + firstPosition), not \(a.type)", at: e.range,
                                          helps: [.init("pass a datetime or an ISO-8601 string, e.g. System.Timestamp()")]))
            case .eventTime where a.type != .any && a.type != .datetime && a.type != .nvarchar:
                diagnostics.append(.error("SAQL2016", "\(name) needs datetime arguments, not \(a.type)", at: e.range))
            default: break
            }
        }
    }

    /// In a join, `DATEDIFF(unit, a, b)` may name sources instead of fields: each stands for that
    /// source's event time.
    func sourceTime(_ e: Expr, _ scope: Scope) -> BoundExpr? {
        guard case .identifier(let n) = e.kind, n.quoting != .doubleQuotes,
              let r = scope.relations.first(where: { $0.alias.caseInsensitiveEquals(n.text) }), let t = r.timeColumn else { return nil }
        return BoundExpr(.column(r.offset + t), .datetime, e.range)
    }

    /// Reads a date part name (`minute`, `mi`, ...) written as a bare identifier.
    mutating func datePart(_ e: Expr) -> DatePart? {
        if case .identifier(let n) = e.kind, let part = DatePart(name: n.text) { return part }
        if case .literal(.string(let s)) = e.kind, let part = DatePart(name: s) { return part }
        diagnostics.append(.error("SAQL2017", "expected a date part, found '\(sourceText(e))'", at: e.range,
                                  helps: [.init("date parts are year, quarter, month, dayofyear, day, week, weekday, hour, minute, second, millisecond, microsecond")]))
        return nil
    }
}
