"""Cell parsers, with the forms users really write (shared/seeds)."""
import datetime as dt

import pytest

from loaders import parsing as P

D = dt.date


@pytest.mark.parametrize("raw, deadline, revised, continuous", [
    ("31/12/25", D(2025, 12, 31), None, False),
    ("31/12/2025", D(2025, 12, 31), None, False),
    ("31.12.2025", D(2025, 12, 31), None, False),
    ("2025-12-31", D(2025, 12, 31), None, False),
    ("31/3/2023", D(2023, 3, 31), None, False),                      # seed 002
    ("30 aprile 2023", D(2023, 4, 30), None, False),                  # seed 002
    ("Entro marzo 2023", D(2023, 3, 31), None, False),                # seed 002
    ("Entro febbraio 2024", D(2024, 2, 29), None, False),             # leap year: last day of the month
    ("Entro il 31/07/2021", D(2021, 7, 31), None, False),             # seed 003
    ("Almeno 2 volte entro il 31 dicembre 2023", D(2023, 12, 31), None, False),  # seed 002
    ("Entro agosto-2023 entro ottobre 2023", D(2023, 8, 31), D(2023, 10, 31), False),  # seed 002
    ("Entro settembre 2023 Entro novembre 2023", D(2023, 9, 30), D(2023, 11, 30), False),  # seed 002
    ("Al bisogno", None, None, True),                                 # seed 002
    ("al bisogno", None, None, True),
    ("Cadenza mensile e secondo le indicazioni del Ministero", None, None, True),  # seed 002
    ("Cadenza quadrimestrale e al bisogno", None, None, True),         # seed 002
    ("mensili", None, None, True),                                    # seed 002
    ("Con il Bilancio civilistico", None, None, True),                # seed 003
    ("2023", D(2023, 12, 31), None, False),                           # seed 004 "Anno di scadenza 2023"
    (2023, D(2023, 12, 31), None, False),
    (D(2025, 6, 30), D(2025, 6, 30), None, False),                    # Excel date cell
    (dt.datetime(2025, 6, 30, 0, 0), D(2025, 6, 30), None, False),
    (None, None, None, False),
])
def test_deadline_forms_of_the_spec(raw, deadline, revised, continuous):
    d = P.parse_deadline(raw, 2023)
    assert d.error is None
    assert (d.deadline, d.revised, d.continuous) == (deadline, revised, continuous)


def test_continuous_deadline_is_a_warning_not_an_error():
    d = P.parse_deadline("Al bisogno", 2023)
    assert d.error is None and "continuativo" in d.warning


def test_month_without_year_takes_the_plan_year_with_warning():
    d = P.parse_deadline("Entro luglio", 2023)             # seed 002, row 15
    assert d.deadline == D(2023, 7, 31) and "anno non indicato" in d.warning


@pytest.mark.parametrize("raw", ["31/02/2025", "32/13/25", "30/02/2024"])
def test_impossible_dates_are_errors(raw):
    d = P.parse_deadline(raw, 2025)
    assert d.error and raw in d.error
    value, err = P.parse_date(raw)
    assert value is None and raw in err


def test_date_text_without_date_is_an_error_in_date_columns():
    value, err = P.parse_date("appena possibile")
    assert value is None and "non è una data" in err


@pytest.mark.parametrize("raw, expected", [
    ("20,00%", 20.0), ("20%", 20.0), (0.2, 20.0), (20, 20.0), ("0,2", 20.0), ("83,5", 83.5), (1, 100.0),
    ("100%", 100.0), (0, 0.0), ("0%", 0.0), (None, None), ("", None),
])
def test_percentages(raw, expected):
    value, err = P.parse_percent(raw)
    assert err is None and value == pytest.approx(expected) if expected is not None else value is None


@pytest.mark.parametrize("raw", ["130%", 130, "-5%", "tanto"])
def test_percentages_out_of_range_or_not_numbers(raw):
    value, err = P.parse_percent(raw)
    assert value is None and err


def test_weights_all_forms_mean_the_same():
    forms = ["5%", 0.05, "0,05", 5, "10 punti su 200"]
    parsed = [P.parse_weight(f)[0] for f in forms]
    # each parent is scaled on its own: the fraction forms become percent, the others stay points
    assert P.scale_weights([parsed[0]]) == [5.0]
    assert P.scale_weights([parsed[1]]) == [pytest.approx(5.0)]
    assert P.scale_weights([parsed[2]]) == [pytest.approx(5.0)]
    assert P.scale_weights([parsed[3]]) == [5.0]
    assert P.scale_weights([parsed[4]]) == [5.0]


def test_weights_integers_are_points_not_fractions():
    w = [P.parse_weight(x)[0] for x in (1, 2, 1)]
    assert P.scale_weights(w) == [1.0, 2.0, 1.0]


def test_negative_weight_is_error():
    value, err = P.parse_weight(-3)
    assert value is None and "negativo" in err


# Stato texts of seed 002 (CISSA Pianezza 2023) and seed 004 (CISA 31 2023)
@pytest.mark.parametrize("raw, expected", [
    ("REALIZZATO", "raggiunto"),
    ("IN FASE DI REALIZZAZIONE", "in corso"),
    ("Obiettivo realizzato.", "raggiunto"),
    ("Obiettivo con realizzazione in itinere", "in corso"),
    # spec revision 2: the earliest expression decides (was «in corso»: first matching rule won)
    ("Obiettivo raggiunto e con realizzazione in itinere", "raggiunto"),
    ("Obiettivo con realizzazione in itinere … si è conclusa l'attività per le prime 10 famiglie", "in corso"),
    ("IN FASE DI REALIZZAZIONE … è stato attivato", "in corso"),
    ("Parzialmente realizzato", "parziale"),
    ("Obiettivo non realizzato", "non raggiunto"),
    ("Non avviato: realizzato solo lo studio", "non raggiunto"),   # a negated expression is one expression
    ("Realizzato in parte, dilazione richiesta", "rinviato"),      # rinviato wins wherever it appears
    ("Obiettivo in fase di realizzazione", "in corso"),
    ("Obiettivo per cui si chiede la dilazione temporale.", "rinviato"),
    ("Obiettivo per il quale si chiede una dilazione temporale", "rinviato"),
    ("Obiettivo, al momento non realizzato.", "non raggiunto"),
    ("Obiettivo parzialmente realizzato.", "parziale"),
    ("Obiettivo da realizzare.", "in corso"),
    ("Obiettivo in corso di realizzazione.", "in corso"),
    ("Obiettivo in lavorazione.", "in corso"),
    ("Obiettivo realizzato a titolo sperimentale.", "raggiunto"),
    ("Gli obiettivi sono stati raggiunti", "raggiunto"),
    ("Obiettivo non realizzabile per cause esterne", "neutralizzato"),
    ("Proroga concessa dal Ministero", "rinviato"),
    ("boh", "sconosciuto"),
])
def test_status_normalisation(raw, expected):
    assert P.normalize_status(raw) == expected


def test_not_attributable_flag_neutralises_whatever_the_text():
    assert P.normalize_status("Obiettivo realizzato", True) == "neutralizzato"


@pytest.mark.parametrize("raw, expected", [("sì", True), ("Si", True), ("x", True), ("no", False), (None, False), (1, True)])
def test_bool(raw, expected):
    assert P.parse_bool(raw) == (expected, None)


def test_bool_rejects_garbage():
    assert P.parse_bool("forse")[1]


def test_italian_numbers():
    assert P.parse_number_it("1.234,5") == 1234.5
    assert P.parse_number_it("0,05") == 0.05
    assert P.parse_number_it("1.234.567") == 1234567
    assert P.parse_number_it("abc") is None


def test_header_keys_ignore_case_accents_spaces_dots_and_percent():
    assert P.norm_key(" Unità ") == P.norm_key("unita")
    assert P.norm_key("Cod.") == "cod"
    assert P.norm_key("% raggiungimento%") == "%raggiungimento"
    assert P.norm_key("Data_verifica") == P.norm_key("data verifica")
