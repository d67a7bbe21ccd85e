// The medium project gets a fresh database per run, exactly as the e2e project does.
export { default } from '../../support/global-setup';
