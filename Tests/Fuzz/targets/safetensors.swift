import Fuzzing
import SeqTensor

/// libFuzzer entry: any bytes as a safetensors file, then as a character model. Errors are
/// expected; a crash, a hang or an unbounded allocation is a bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FuzzTargets.safetensors(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
