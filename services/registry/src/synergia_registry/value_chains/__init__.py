"""Value-chain initiatives ("cluster facilitated projects"): vision, leads, stages,
participants, a life cycle, and an eligibility report explained item by item.

Decisions (where the brief left a choice):

- Participants name their stage by its 0-based **position** in the same body's
  ``stages`` list (``stage``); responses give both ``stage`` and ``stage_id``. A stage
  keeps its id across a PUT when its name is unchanged (names are unique per chain,
  case-insensitive).
- One participation per actor and chain. Roles: ``coordinator`` (at most one),
  ``partner``, ``third_party`` (SMEs receiving financial support to third parties) and
  ``associated`` (no EU budget: its planned budget must be empty or 0).
- Life cycle: draft → open → formed → running → closed, plus abandon (→ closed) from
  any status but closed. A same-status or backward move is a 409 naming the allowed
  ones. Entering ``formed`` needs a passing eligibility report; the 409 lists the
  failing criteria. Eligibility is a gate at formation only: the report is always
  computed live, so it may show later that a formed chain lapsed (e.g. an actor's data
  changed). Content may change in every status but ``closed`` (409).
- Access: ``admin`` everything; ``cluster_manager`` writes the value chains one of whose
  leads is its token's ``actor_id``, and every body it writes must keep its own
  organisation among the leads (403 otherwise); every role reads.
- Eligibility (rules.py holds the thresholds and their sources):
  1. Consortium = leads + participants. Linked enterprises (> 50 % or control, either
     direction, transitively, also through an owner outside the consortium) count as one
     legal entity. Countries are matched to entities one-to-one (an entity of linked
     companies in two countries still counts once). Member States, H2020 Associated
     Countries and the United Kingdom (H2020-era data, ``Country.eligible_for_consortium``)
     count; third countries and deactivated actors are named and not counted.
  2. SME share of the participants' planned budget: computed category micro/small/medium
     counts; an actor of kind ``sme`` without a computed category counts and is named
     "declared, not verified". No budget planned: not assessable (``met: null``).
  3. Cross-sectoral: NACE sections (first letter of the canonical codes) and ecosystems
     from the participants' own actor profiles, not the chain's declared ecosystems;
     cluster organisations and SME intermediaries are left out (their codes describe the
     intermediation). Met with more than one section OR more than one ecosystem; no data
     at all: not assessable.
  The overall ``eligible`` is true only when every item is met.
- Events: ``ValueChainUpdatedV1`` (whole state) after every change, and
  ``ValueChainStatusChangedV1`` after it on a transition; both have subject = value chain
  id and sequence = the version after the change.
"""
