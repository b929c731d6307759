import ConnSyncModel
import Foundation

/// The admin API under `/_emulator` (README.md); vendor-specific calls go to the vendors.
extension EmulatorResponder {
    func admin(_ request: EmulatorRequest) async -> EmulatorResponse {
        let path = request.path
        switch (request.method, path) {
        case ("GET", "/_emulator/requests"):
            return .json(200, ["requests": .array(await state.requestLog())])
        case ("GET", "/_emulator/requests/summary"):
            return .json(200, await state.requestSummary())
        case ("DELETE", "/_emulator/requests"):
            await state.clearLog()
            return .json(200, ["cleared": true])
        case ("POST", "/_emulator/faults"):
            guard let spec = request.json else { return .json(400, ["error": "the body must be a JSON fault"]) }
            do {
                let id = try await state.addFault(spec)
                return .json(201, ["id": .int(id)])
            } catch {
                return .json(400, ["error": .string(error.message)])
            }
        case ("GET", "/_emulator/faults"):
            return .json(200, ["faults": .array(await state.armedFaults()), "held": .int(await held.count)])
        case ("POST", "/_emulator/faults/release"):
            return .json(200, ["released": .int(await held.releaseAll())])
        case ("DELETE", "/_emulator/faults"):
            await state.clearFaults()
            return .json(200, ["cleared": true])
        case ("POST", "/_emulator/reset"):
            await state.reset()
            _ = await held.releaseAll()
            return .json(200, ["reset": true])
        case ("GET", "/_emulator/state"):
            return .json(200, await state.snapshot())
        case ("POST", "/_emulator/seed"):
            guard let data = request.json else { return .json(400, ["error": "the body must be JSON"]) }
            do {
                try await state.seed(data)
                return .json(200, ["seeded": true])
            } catch {
                return .json(400, ["error": .string(error.message)])
            }
        case ("GET", "/_emulator/connections"):
            let counts = connections.counts
            return .json(200, ["opened": .int(counts.opened), "open": .int(counts.open)])
        case ("GET", "/_emulator/health"):
            return .json(200, ["ok": true])
        default:
            if let answer = await state.vendorAdmin(request) { return answer }
            return .json(404, ["error": .string("no admin endpoint \(request.method) \(path)")])
        }
    }
}
