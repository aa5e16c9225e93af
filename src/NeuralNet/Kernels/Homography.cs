namespace NeuralNet.Kernels;

/// <summary>
/// Keras' <c>compute_homography_matrix</c>: the eight coefficients of the projective map that sends four end points to
/// four start points, so that sampling an image through it (<see cref="AffineSampling"/> with
/// <see cref="AffineSampling.ProjectiveLength"/> entries) moves each start point to its end point.
/// </summary>
/// <remarks>
/// <code>
/// start, end (4, 2) as (x, y) rows; h = [a0, a1, a2, b0, b1, b2, c0, c1]
/// for each point p: [ex, ey, 1, 0, 0, 0, −sx·ex, −sx·ey] · h = sx
///                   [0, 0, 0, ex, ey, 1, −sy·ex, −sy·ey] · h = sy
/// </code>
/// The 8 × 8 system of Keras' backends (rows in its order), solved in float64 by Gaussian elimination with partial
/// pivoting (NumPy's solve is LU with partial pivoting too) on the stack.
/// </remarks>
internal static class Homography
{
    /// <summary>The number of coordinates of four points: (x, y) each.</summary>
    public const int PointsLength = 8;

    /// <summary>Writes h (8) such that (a0·ex + a1·ey + a2) / k = sx and (b0·ex + b1·ey + b2) / k = sy, k = c0·ex + c1·ey + 1.</summary>
    /// <exception cref="ArgumentException">A span is shorter than 8.</exception>
    /// <exception cref="InvalidOperationException">The system is singular (three of the points on a line, or two equal).</exception>
    public static void Solve(ReadOnlySpan<double> start, ReadOnlySpan<double> end, Span<double> h)
    {
        if (start.Length < PointsLength || end.Length < PointsLength || h.Length < PointsLength)
        {
            throw new ArgumentException($"Homography needs 4 start and 4 end points (8 coordinates each) and 8 coefficients; got {start.Length}, {end.Length} and {h.Length}.");
        }

        const int n = PointsLength, stride = n + 1;
        Span<double> m = stackalloc double[n * stride];
        for (int p = 0; p < 4; p++)
        {
            double sx = start[2 * p], sy = start[(2 * p) + 1], ex = end[2 * p], ey = end[(2 * p) + 1];
            Span<double> rx = m.Slice(2 * p * stride, stride), ry = m.Slice(((2 * p) + 1) * stride, stride);
            rx.Clear();
            ry.Clear();
            (rx[0], rx[1], rx[2], rx[6], rx[7], rx[8]) = (ex, ey, 1, -sx * ex, -sx * ey, sx);
            (ry[3], ry[4], ry[5], ry[6], ry[7], ry[8]) = (ex, ey, 1, -sy * ex, -sy * ey, sy);
        }

        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < n; r++)
            {
                if (Math.Abs(m[(r * stride) + col]) > Math.Abs(m[(pivot * stride) + col]))
                {
                    pivot = r;
                }
            }

            if (!(Math.Abs(m[(pivot * stride) + col]) > 0))
            {
                throw new InvalidOperationException("The homography of the points is singular: three of the start or end points lie on a line.");
            }

            if (pivot != col)
            {
                for (int k = 0; k < stride; k++)
                {
                    (m[(col * stride) + k], m[(pivot * stride) + k]) = (m[(pivot * stride) + k], m[(col * stride) + k]);
                }
            }

            double diagonal = m[(col * stride) + col];
            for (int r = col + 1; r < n; r++)
            {
                double f = m[(r * stride) + col] / diagonal;
                if (f == 0)
                {
                    continue;
                }

                for (int k = col; k < stride; k++)
                {
                    m[(r * stride) + k] -= f * m[(col * stride) + k];
                }
            }
        }

        for (int r = n - 1; r >= 0; r--)
        {
            double sum = m[(r * stride) + n];
            for (int k = r + 1; k < n; k++)
            {
                sum -= m[(r * stride) + k] * h[k];
            }

            h[r] = sum / m[(r * stride) + r];
        }
    }
}
