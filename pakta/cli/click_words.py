"""Click's own words, marked so that pakta's catalogues carry their Indonesian.

Click translates them through the process's gettext domain, which the CLI sets to
pakta's; listing them here is what puts them in `make catalogues`' extraction.
"""

from __future__ import annotations

from pakta.i18n import N_, Np_

CLICK_WORDS = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("%(prog)s, version %(version)s"),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Aborted!"), N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing command."), N_("Missing {param_type}"), N_("Missing parameter: {param_name}"),
    N_("No such command {name!r}."), N_("No such option {name!r}."),
    N_("Invalid value for {param_hint}: {message}"), N_("Invalid value: {message}"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("file"), N_("directory"), N_("path"),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("default: {default}"), N_("env var: {var}"), N_("Repeat for confirmation"),
    N_("Error: The two entered values do not match."), N_("Error: invalid input"),
    N_("Confirm the action without prompting."), N_("Do you want to continue?"),
    N_("Could not open file {filename!r}: {message}"), N_("unknown error"),
    N_("Choose from:\n\t{choices}"), N_("deprecated"),
)

CLICK_PLURALS = (
    Np_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    Np_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    Np_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
)
