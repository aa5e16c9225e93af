using NeuralNet.Initializers;
using NeuralNet.Layers;
using NeuralNet.Serialization;

namespace NeuralNet.Tests.Layers.Sequences;

/// <summary>
/// The custom cell of docs/sequences.md, word for word: h = tanh(x·W + h_prev·U), the output being h. Written with the
/// public API only, as a user writes it.
/// </summary>
public sealed class MinimalRnnCell : RnnCell
{
    private readonly int[] _stateSizes;
    private Parameter _kernel = null!;
    private Parameter _recurrentKernel = null!;
    private float[] _dz = [];

    public MinimalRnnCell(int units)
    {
        Units = units;
        _stateSizes = [units];
    }

    public int Units { get; }

    public override IReadOnlyList<int> StateSizes => _stateSizes;

    public override Config GetConfig() => base.GetConfig().Set("units", Units);

    protected override void OnBuild(int inputSize)
    {
        _kernel = AddWeight("kernel", new TensorShape(inputSize, Units), new GlorotUniform());
        _recurrentKernel = AddWeight("recurrent_kernel", new TensorShape(Units, Units), new Orthogonal());
    }

    // Scratch for the backward step, grown once: no allocation per step.
    public override void Prepare(int batch, int steps, bool training)
    {
        if (_dz.Length < batch * Units)
        {
            _dz = new float[batch * Units];
        }
    }

    public override void Forward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, Span<float> output, Span<float> newStates)
    {
        int n = InputSize, u = Units;
        ReadOnlySpan<float> w = _kernel.Value.AsReadOnlySpan(), r = _recurrentKernel.Value.AsReadOnlySpan();
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < u; j++)
            {
                float z = 0f;
                for (int i = 0; i < n; i++)
                {
                    z += input[(b * n) + i] * w[(i * u) + j];
                }

                for (int k = 0; k < u; k++)
                {
                    z += states[(b * u) + k] * r[(k * u) + j];
                }

                newStates[(b * u) + j] = output[(b * u) + j] = MathF.Tanh(z);
            }
        }
    }

    public override void Backward(int batch, int step, ReadOnlySpan<float> input, ReadOnlySpan<float> states, ReadOnlySpan<float> newStates,
        ReadOnlySpan<float> outputGradient, ReadOnlySpan<float> newStateGradients, Span<float> inputGradient, Span<float> stateGradients)
    {
        int n = InputSize, u = Units;
        ReadOnlySpan<float> w = _kernel.Value.AsReadOnlySpan(), r = _recurrentKernel.Value.AsReadOnlySpan();
        Span<float> dw = _kernel.Gradient.AsSpan(), dr = _recurrentKernel.Gradient.AsSpan(), dz = _dz;

        // The output is the new state: both gradients reach h, then tanh' = 1 − h².
        for (int i = 0; i < batch * u; i++)
        {
            float h = newStates[i];
            dz[i] = (outputGradient[i] + newStateGradients[i]) * (1f - (h * h));
        }

        for (int b = 0; b < batch; b++)
        {
            for (int i = 0; i < n; i++)
            {
                float dx = 0f;
                for (int j = 0; j < u; j++)
                {
                    dw[(i * u) + j] += input[(b * n) + i] * dz[(b * u) + j];
                    dx += dz[(b * u) + j] * w[(i * u) + j];
                }

                inputGradient[(b * n) + i] = dx;
            }

            for (int k = 0; k < u; k++)
            {
                float dh = 0f;
                for (int j = 0; j < u; j++)
                {
                    dr[(k * u) + j] += states[(b * u) + k] * dz[(b * u) + j];
                    dh += dz[(b * u) + j] * r[(k * u) + j];
                }

                stateGradients[(b * u) + k] = dh;
            }
        }
    }
}
