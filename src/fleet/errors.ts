/** A problem the user can fix (a fleet file, a target, the control database): printed without a stack. */
export class FleetError extends Error {
  override readonly name = 'FleetError';
  constructor(
    message: string,
    /** The exit code the command line ends with (2: usage, the fleet file or the control database). */
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
