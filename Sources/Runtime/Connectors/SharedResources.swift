import Planner

/// Objects a pipeline's outputs share, created by the first output that needs one.
package final class SharedResources {
    private var byKey: [String: AnyObject] = [:]
    private var order: [String] = []

    package init() {}

    /// The resource under `key`, made by `make` on first use.
    package func resource<T: AnyObject>(_ key: String, make: () throws -> T) throws -> T {
        if let existing = byKey[key] as? T { return existing }
        let made = try make()
        byKey[key] = made
        order.append(key)
        return made
    }

    /// Every resource, in creation order.
    var all: [AnyObject] { order.compactMap { byKey[$0] } }
}
