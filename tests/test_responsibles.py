"""Who answers for a step (issue 18, domain/responsibles.py): several responsibles in one cell, keys that
ignore case, accents, spaces and a final full stop; the objective's responsible when the step has none;
«senza responsabile» when neither has one."""
from domain.responsibles import NO_RESPONSIBLE, resp_key, split_responsibles, step_responsibles


def test_split_the_cissa_cell():
    cell = ("Direttrice, Responsabile di area territoriale, Responsabile Area Integrativa, "
            "Responsabile servizio minori,  Responsabile servizio minori disabili; addetta ufficio personale.")
    assert split_responsibles(cell) == ["Direttrice", "Responsabile di area territoriale", "Responsabile Area Integrativa",
                                        "Responsabile servizio minori", "Responsabile servizio minori disabili",
                                        "addetta ufficio personale"]
    assert split_responsibles("Direttore, direttore., DIRETTORE") == ["Direttore"]
    assert split_responsibles(None) == [] and split_responsibles("  ,  ") == []


def test_keys_ignore_case_accents_spaces_and_final_stop():
    assert resp_key(" Responsabile  progetti famiglie in DIFFICOLTÀ. ") == "responsabile progetti famiglie in difficolta"


def test_step_then_objective_then_no_responsible():
    assert step_responsibles("Anna, Bruno", "Direttore") == ["Anna", "Bruno"]
    assert step_responsibles("", "Direttore") == ["Direttore"]
    assert step_responsibles(None, None) == [NO_RESPONSIBLE]
