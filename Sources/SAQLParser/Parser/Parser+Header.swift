/// Job-file header statements: `SET`, `CREATE [REFERENCE] INPUT`, `CREATE OUTPUT`, `CREATE TABLE`, `CREATE FUNCTION`.
extension Parser {
    mutating func parseSet() -> Statement? {
        let start = advance().range
        guard let key = parseOptionKey() else { return nil }
        expect(.equal, " after the setting name")
        guard let value = parseOptionValue() else { return nil }
        return .set(SetStatement(key: key, value: value, range: start.union(value.range)))
    }

    mutating func parseCreate() -> Statement? {
        let start = advance().range
        if accept("TABLE") != nil { return parseCreateTable(start) }
        if accept("FUNCTION") != nil {
            guard let name = parseName("a function name", allowReserved: true) else { return nil }
            let options = parseOptionList()
            return .createFunction(CreateFunctionStatement(name: name, options: options, range: start.union(tokens[index - 1].range)))
        }
        var kind: CreateEndpointStatement.Kind
        if accept("REFERENCE") != nil {
            expect("INPUT", " after CREATE REFERENCE")
            kind = .referenceInput
        } else if accept("INPUT") != nil {
            kind = .input
        } else if accept("OUTPUT") != nil {
            kind = .output
        } else {
            error("SAQL1019", "expected INPUT, REFERENCE INPUT, OUTPUT, TABLE or FUNCTION after CREATE, found \(describe(current))")
            return nil
        }
        guard let name = parseName("a name", allowReserved: true) else { return nil }
        let options = parseOptionList()
        return .createEndpoint(CreateEndpointStatement(kind: kind, name: name, options: options,
                                                       range: start.union(tokens[index - 1].range)))
    }

    /// `WITH (key = value, ...)`.
    private mutating func parseOptionList() -> [EndpointOption] {
        var options: [EndpointOption] = []
        if expect("WITH", " before the option list"), expect(.lparen) {
            while !at(.rparen) && !atEnd {
                guard let key = parseOptionKey() else { synchronizeOptions(); continue }
                expect(.equal, " after the option name")
                guard let value = parseOptionValue() else { synchronizeOptions(); continue }
                options.append(EndpointOption(key: key, value: value))
                if accept(.comma) == nil { break }
            }
            expect(.rparen, " to close the option list")
        }
        return options
    }

    private mutating func synchronizeOptions() {
        while !atEnd && !at(.comma) && !at(.rparen) { advance() }
        _ = accept(.comma)
    }

    /// A setting or option key; dotted keys (`properties.sasl.mechanism`) keep their dots, and a
    /// part may hold hyphens written without spaces (`headers.X-Api-Key`: HTTP header names).
    private mutating func parseOptionKey() -> Name? {
        guard var name = parseName("an option name", allowReserved: true) else { return nil }
        while true {
            if at(.dot) {
                advance()
                guard let part = parseName("an option name part", allowReserved: true) else { break }
                name = Name(name.text + "." + part.text, range: name.range.union(part.range))
            } else if at(.minus), current.range.start == name.range.end, peek(1).range.start == current.range.end,
                      peek(1).kind == .identifier || peek(1).kind == .integer {
                advance()
                let part = current
                advance()
                name = Name(name.text + "-" + part.text, range: name.range.union(part.range))
            } else {
                break
            }
        }
        return name
    }

    private mutating func parseOptionValue() -> OptionValue? {
        let t = current
        switch t.kind {
        case .string:
            advance()
            return OptionValue(text: t.text, range: t.range, isString: true)
        case .integer, .float, .identifier:
            advance()
            return OptionValue(text: t.text, range: t.range, isString: false)
        case .punct(.minus):
            advance()
            let n = current
            guard n.kind == .integer || n.kind == .float else {
                error("SAQL1012", "expected a number after '-', found \(describe(n))")
                return nil
            }
            advance()
            return OptionValue(text: "-" + n.text, range: t.range.union(n.range), isString: false)
        default:
            error("SAQL1012", "expected a value (a 'string' or a number), found \(describe(t))")
            return nil
        }
    }

    private mutating func parseCreateTable(_ start: SourceRange) -> Statement? {
        guard let name = parseName("a table name") else { return nil }
        var columns: [CreateTableStatement.Column] = []
        if expect(.lparen, " before the column list") {
            while !at(.rparen) && !atEnd {
                guard let col = parseName("a column name", allowReserved: true) else { synchronizeOptions(); continue }
                let typeStart = current.range
                var typeName = ""
                if current.kind == .identifier {
                    typeName = advance().text
                    if accept(.lparen) != nil {
                        if current.kind == .identifier || current.kind == .integer {
                            typeName += "(\(advance().text))"
                        } else {
                            error("SAQL1017", "expected a type length such as max, found \(describe(current))")
                        }
                        expect(.rparen)
                    }
                } else {
                    error("SAQL1017", "expected a type name for column '\(col.text)', found \(describe(current))")
                }
                columns.append(.init(name: col, type: TypeName(name: typeName, range: typeStart.union(tokens[index - 1].range))))
                if accept(.comma) == nil { break }
            }
            expect(.rparen, " to close the column list")
        }
        return .createTable(CreateTableStatement(name: name, columns: columns, range: start.union(tokens[index - 1].range)))
    }
}
