import Foundation
import Synchronization

/// Ctrl-C (SIGINT) and SIGTERM during training: the first asks the training loop to save a
/// checkpoint and stop at the end of the current step; a second one exits at once (the last
/// checkpoint on disk is whole, since every file is written by rename).
enum Interrupt {
    /// The signal that asked, 0 until one did. Atomic: a lock-free store is safe in a signal handler.
    static let requested = Atomic<Int32>(0)

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if Interrupt.requested.load(ordering: .relaxed) != 0 {
                let message = "\nseqtool: interrupted again, exiting without saving\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                _exit(128 + signal)
            }
            Interrupt.requested.store(signal, ordering: .relaxed)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    static var isRequested: Bool { requested.load(ordering: .relaxed) != 0 }
}
