"""One error tree for the whole library; the CLI turns each into its exit code.

Exit codes: 0 ok; 1 verification found problems; 2 usage; 3 bad input (roster, config,
template, PDF); 4 render or signing failure; 5 environment (missing library or tool);
130 interrupted. Messages are translated where they are raised (`_()`): the language is
chosen before any command runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from pakta.i18n import _, ngettext


class PaktaError(Exception):
    """Root of every error pakta raises on purpose. Never carries a secret."""

    exit_code = 4

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """What went wrong and what to do about it, for a person."""
        if not self.hint:
            return self.message
        return "{message}\n  {hint}".format(
            message=self.message, hint=_("hint: {hint}").format(hint=self.hint))


class UsageError(PaktaError):
    exit_code = 2


class InputError(PaktaError):
    """Bad input: roster, config, template or PDF."""

    exit_code = 3


class ConfigError(InputError):
    pass


class TemplateError(InputError):
    pass


class PdfInputError(InputError):
    pass


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, located by file, row and column."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where = _("{file}, row {row}").format(file=where, row=self.row)
        if self.column:
            where = _("{place}, column '{column}'").format(place=where, column=self.column)
        return f"{where}: {self.message}"


class RosterError(InputError):
    """Every problem found in a roster, in one pass."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        n = len(problems)
        head = ngettext("roster has {count} problem:", "roster has {count} problems:",
                        n).format(count=n)
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class RenderError(PaktaError):
    exit_code = 4


class SigningError(PaktaError):
    exit_code = 4


class SigningRefused(InputError):
    """The signing request itself is wrong (key, certificate, slot, file): nothing written."""


class IdentityMismatch(SigningRefused):
    """The certificate's subject is not the person the slot is for."""


class OutputExistsError(UsageError):
    """A file would be overwritten that differs from what we would write."""


class EnvironmentProblem(PaktaError):
    exit_code = 5


class VerificationFailed(PaktaError):
    exit_code = 1


class BatchFailed(PaktaError):
    """Some files of a batch failed (each already reported); the exit code is the worst
    of theirs."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Interrupted(PaktaError):
    """Ctrl-C: what was done is whole and recorded; the message says what is left."""

    exit_code = 130
