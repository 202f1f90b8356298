import Foundation

/// Ctrl-C (SIGINT) and SIGTERM during training: the first asks the training loop to save a
/// checkpoint and stop at the end of the current step; a second one exits at once (the last
/// checkpoint on disk is whole, since every file is written by rename).
enum Interrupt {
    static var requested: Int32 = 0

    static func install() {
        let handler: @convention(c) (Int32) -> Void = { signal in
            if Interrupt.requested != 0 {
                let message = "\nseqtool: interrupted again, exiting without saving\n"
                _ = message.withCString { write(STDERR_FILENO, $0, strlen($0)) }
                _exit(128 + signal)
            }
            Interrupt.requested = signal
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }

    static var isRequested: Bool { requested != 0 }
}
