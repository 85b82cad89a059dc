// Names for the API's wire types. Every type comes from schema.d.ts, which openapi-typescript
// generates from ../openapi.json, which a Rust test keeps equal to the server's document: the
// dashboard and the server cannot drift without a failing test or a type error.
import type { components } from './schema';

type S = components['schemas'];
export type Certificate = S['Certificate'];
export type CertificateInput = S['CertificateInput'];
export type CertificateStatus = S['CertificateStatus'];
export type CertificateVersion = S['CertificateVersion'];
export type Job = S['Job'];
export type JobStatus = S['JobStatus'];
export type JobType = S['JobType'];
export type Agent = S['Agent'];
export type AgentView = S['AgentView'];
export type AgentStatus = S['AgentStatus'];
export type AgentGroup = S['AgentGroup'];
export type GroupCriteria = S['GroupCriteria'];
export type GroupInput = S['GroupInput'];
export type PolicyRule = S['PolicyRule'];
export type PolicyInput = S['PolicyInput'];
export type PolicyViolation = S['PolicyViolation'];
export type EvaluateInput = S['EvaluateInput'];
export type Evaluation = S['Evaluation'];
export type Issuer = S['Issuer'];
export type Target = S['Target'];
export type ConnectorInput = S['ConnectorInput'];
export type TestResult = S['TestResult'];
export type Notification = S['Notification'];
export type AuditEvent = S['AuditEvent'];
export type ChainReport = S['ChainReport'];
export type Summary = S['Summary'];
export type Whoami = S['Whoami'];
export type RenewalPolicy = S['RenewalPolicy'];
export type Owner = S['Owner'];
export type Team = S['Team'];
export type ErrorBody = S['ErrorBody'];

/// The list envelope of every `GET` collection.
export interface Page<T> {
  data: T[];
  total: number;
  page: number;
  per_page: number;
}

export const CERTIFICATE_STATUSES: CertificateStatus[] = ['Pending', 'Active', 'Expiring', 'Expired', 'RenewalInProgress', 'Failed', 'Revoked', 'Archived'];
export const JOB_STATUSES: JobStatus[] = ['Pending', 'AwaitingCSR', 'Running', 'Completed', 'Failed', 'Cancelled'];
export const JOB_TYPES: JobType[] = ['Issuance', 'Renewal', 'Deployment', 'Validation'];
export const AGENT_STATUSES: AgentStatus[] = ['Online', 'Offline', 'Degraded', 'Retired'];
