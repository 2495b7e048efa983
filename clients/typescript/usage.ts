// What a frontend writes against the types openapi-typescript generates from
// docs/openapi/{registry,matching,funding}.json. tests/contract/test_generated_clients.py
// generates registry.ts, matching.ts and funding.ts beside this file and runs
// `tsc --strict --noEmit`: renaming a schema, or changing what an operation answers or
// accepts, breaks this file as it would break a frontend.
import type { components as Registry, operations as RegistryOperations } from "./registry";
import type { components as Matching } from "./matching";
import type { components as Funding, operations as FundingOperations } from "./funding";

export type Actor = Registry["schemas"]["Actor"];
export type ActorPage = Registry["schemas"]["ActorPage"];
export type ActorCreate = Registry["schemas"]["ActorCreate"];
export type Owner = Registry["schemas"]["Owner"];
export type OwnerInput = Registry["schemas"]["OwnerInput"];
export type YearFigures = Registry["schemas"]["YearFigures"];
export type YearFiguresInput = Registry["schemas"]["YearFiguresInput"];
export type ClusterCriterion = Registry["schemas"]["ClusterCriterion"];
export type ValueChainCriterion = Registry["schemas"]["ValueChainCriterion"];
export type EligibilityItem = Registry["schemas"]["EligibilityItem"];
export type EligibilityReport = Registry["schemas"]["EligibilityReport"];
export type PartnerSuggestion = Matching["schemas"]["PartnerSuggestion"];
export type EsifFund = Funding["schemas"]["EsifFund"];
export type Problem = Registry["schemas"]["Problem"];

type Json<T> = T extends { content: { "application/json": infer Body } } ? Body : never;
type Ok<Operation> = Operation extends { responses: { 200: infer R } }
  ? Json<R>
  : Operation extends { responses: { 201: infer R } }
    ? Json<R>
    : never;

// The actor operations answer an Actor (or a page of them), the eligibility a report.
export const gotActor = (body: Ok<RegistryOperations["getActor"]>): Actor => body;
export const registeredActor = (body: Ok<RegistryOperations["registerActor"]>): Actor => body;
export const updatedActor = (body: Ok<RegistryOperations["updateActor"]>): Actor => body;
export const deactivatedActor = (body: Ok<RegistryOperations["deactivateActor"]>): Actor => body;
export const foundActors = (body: Ok<RegistryOperations["searchActors"]>): ActorPage => body;
export const eligibility = (
  body: Ok<RegistryOperations["getValueChainEligibility"]>,
): EligibilityReport => body;

// The CSV uploads take the file's text.
type CsvBody<Operation> = Operation extends {
  requestBody: { content: { "text/csv": infer Body } };
}
  ? Body
  : never;
export const authorityEvents: CsvBody<FundingOperations["uploadAuthorityEvents"]> =
  "beneficiary_actor_id,amount\n";
export const esifProgrammes: CsvBody<FundingOperations["importEsifProgrammes"]> = "MS,CCI\n";
export const cordisOrganisations: CsvBody<RegistryOperations["importCordisOrganisations"]> =
  "projectID;organisationID\n";
export const beneficiaries: CsvBody<RegistryOperations["uploadBeneficiaries"]> = "legal_name\n";

// The two criterion enums are distinct types with their own values, handled exhaustively.
export function clusterCriterionLabel(criterion: ClusterCriterion): string {
  switch (criterion) {
    case "management_fte":
      return "Cluster management staff";
    case "committed_members":
      return "Committed members";
    case "member_types":
      return "Member types";
    default: {
      const unknown: never = criterion;
      return unknown;
    }
  }
}

export function valueChainCriterionLabel(criterion: ValueChainCriterion): string {
  switch (criterion) {
    case "independent_legal_entities":
      return "Independent legal entities";
    case "sme_budget_share":
      return "SME budget share";
    case "cross_sectoral":
      return "Cross-sectoral";
    default: {
      const unknown: never = criterion;
      return unknown;
    }
  }
}

export function summary(actor: Actor): string {
  const owners: readonly Owner[] = actor.owners ?? [];
  const shares = owners.map((owner) => `${owner.owner_actor_id}: ${owner.share_percent} %`);
  const years = (actor.financials ?? []).map((figures: YearFigures) => figures.year);
  return `${actor.legal_name} (${actor.country}) ${shares.join(", ")} ${years.join(", ")}`;
}

export function failing(report: EligibilityReport): EligibilityItem[] {
  return report.criteria.filter((item) => item.met === false);
}

export const fund: EsifFund = "ERDF";
export const partnerName = (suggestion: PartnerSuggestion): string => suggestion.legal_name;
