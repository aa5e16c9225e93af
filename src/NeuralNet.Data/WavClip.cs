namespace NeuralNet.Data;

/// <summary>One decoded WAV file, as <c>tf.audio.decode_wav</c> returns it before any cropping or padding.</summary>
/// <param name="Samples">The samples, frame after frame with the channels of a frame side by side (length frames x channels), each 16-bit value / 32768, in [-1, 1).</param>
/// <param name="Frames">The number of frames (Keras' sequence length): the whole frames of the data chunk.</param>
/// <param name="Channels">The number of channels, at least 1.</param>
/// <param name="SamplingRate">The frames per second the file's header declares.</param>
internal sealed record WavClip(float[] Samples, int Frames, int Channels, int SamplingRate);
