using NeuralNet.Training;
using Xunit;

namespace NeuralNet.Tests.Training;

public class AucRocCurveTests
{
    [Fact]
    public void RocCurve_TrapezoidsSumToTheResult_AndRunFromOneToZero()
    {
        var auc = new Auc(numThresholds: 50);
        var random = new Random(5);
        var p = new Tensor(200, 1);
        var t = new Tensor(200, 1);
        for (int i = 0; i < 200; i++)
        {
            t.AsSpan()[i] = random.Next(2);
            p.AsSpan()[i] = (float)Math.Clamp((0.3 * t.AsSpan()[i]) + (0.7 * random.NextDouble()), 0, 1);
        }

        auc.Update(p, t);
        var (x, y) = auc.RocCurve();
        Assert.Equal(50, x.Length);
        Assert.Equal((1.0, 1.0), (x[0], y[0]));
        Assert.Equal((0.0, 0.0), (x[^1], y[^1]));
        double area = 0;
        for (int i = 0; i < x.Length - 1; i++)
        {
            Assert.True(x[i] >= x[i + 1] && y[i] >= y[i + 1], "rates fall as the threshold rises");
            area += (x[i] - x[i + 1]) * (y[i] + y[i + 1]) / 2;
        }

        Assert.Equal(auc.Result(), area, 12);
        Assert.InRange(area, 0.6, 1.0);
    }
}
